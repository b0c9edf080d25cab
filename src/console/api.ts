import type { Context } from "hono";
import type { ErrorCode } from "../lib/errors";
import type { ConsoleEnv } from "./env";

/** Sends a request through the whole app (its auth, rate limits, validation and audit), as the JSON API would. */
export type Dispatch = (request: Request, c: Context<ConsoleEnv>) => Promise<Response>;

/** A problem+json answer of the API, carried to the page that asked. */
export class ConsoleApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | "unknown",
    detail: string,
    readonly requestId: string | null,
  ) {
    super(detail);
    this.name = "ConsoleApiError";
  }
}

type Query = Record<string, string | number | boolean | undefined | null>;

/** Headers of the browser's request the API should see as its own: who and from where. */
const FORWARDED = ["Cookie", "User-Agent", "CF-Connecting-IP", "X-Forwarded-For", "Accept-Language", "Origin", "Referer"];

/**
 * The console's client of the JSON API. Every read and every action of a page is a request to the
 * API's own route, carrying the browser's cookies, address and (for changes) the CSRF token the page's
 * form posted back, so the console can do nothing the signed-in admin could not do with curl.
 */
export class ConsoleApi {
  constructor(
    private readonly c: Context<ConsoleEnv>,
    private readonly dispatch: Dispatch,
  ) {}

  get<T>(path: string, query: Query = {}): Promise<T> {
    return this.send<T>("GET", withQuery(path, query));
  }

  post<T>(path: string, body: unknown, csrfToken: string): Promise<T> {
    return this.send<T>("POST", path, { body, csrfToken });
  }

  patch<T>(path: string, body: unknown, csrfToken: string): Promise<T> {
    return this.send<T>("PATCH", path, { body, csrfToken });
  }

  delete<T>(path: string, csrfToken: string): Promise<T> {
    return this.send<T>("DELETE", path, { csrfToken });
  }

  /** The raw response, for callers that pass headers (Set-Cookie) or bodies (exports) on. */
  async raw(method: string, path: string, options: { body?: unknown; csrfToken?: string } = {}): Promise<Response> {
    const incoming = this.c.req.raw.headers;
    const headers = new Headers({ Accept: "application/json", "X-Request-Id": this.c.var.requestId });
    for (const name of FORWARDED) {
      const value = incoming.get(name);
      if (value !== null) headers.set(name, value);
    }
    if (options.csrfToken !== undefined) headers.set("X-CSRF-Token", options.csrfToken);
    let body: string | undefined;
    if (options.body !== undefined) {
      headers.set("Content-Type", "application/json");
      body = JSON.stringify(options.body);
    }
    const url = new URL(path, this.c.req.url);
    return this.dispatch(new Request(url, { method, headers, body }), this.c);
  }

  private async send<T>(method: string, path: string, options: { body?: unknown; csrfToken?: string } = {}): Promise<T> {
    const response = await this.raw(method, path, options);
    if (response.status === 204) return undefined as T;
    const type = response.headers.get("Content-Type") ?? "";
    const payload = type.includes("json") ? ((await response.json()) as Record<string, unknown>) : { detail: await response.text() };
    if (!response.ok) {
      throw new ConsoleApiError(
        response.status,
        (payload.code as ErrorCode | undefined) ?? "unknown",
        problemText(payload, response.status),
        typeof payload.requestId === "string" ? payload.requestId : null,
      );
    }
    return payload as T;
  }
}

/** The problem's detail, with the fields validation named (`from: Invalid ISO datetime`), so a page can say what to fix. */
export function problemText(payload: Record<string, unknown>, status: number): string {
  const detail = typeof payload.detail === "string" ? payload.detail : `The API answered ${status}.`;
  const errors = Array.isArray(payload.errors) ? (payload.errors as Array<{ path?: unknown; message?: unknown }>) : [];
  const fields = errors
    .filter((error) => typeof error.message === "string")
    .map((error) =>
      typeof error.path === "string" && error.path !== "(root)" ? `${error.path}: ${error.message}` : String(error.message),
    );
  return fields.length > 0 ? `${detail} ${fields.join("; ")}` : detail;
}

export function withQuery(path: string, query: Query): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(query)) {
    if (value !== undefined && value !== null && value !== "") params.set(key, String(value));
  }
  const search = params.toString();
  return search ? `${path}?${search}` : path;
}
