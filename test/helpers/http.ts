import { exports } from "cloudflare:workers";

export const BASE_URL = "https://proctor.test";

/** Sends a request through the real Worker entry point (the whole spine, real bindings). */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
  return (exports as unknown as { default: Fetcher }).default.fetch(new Request(`${BASE_URL}${path}`, init));
}

/** A JSON request with the right content type. */
export function sendJson(path: string, method: string, body: unknown, headers: Record<string, string> = {}) {
  return call(path, {
    method,
    headers: { "Content-Type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  requestId: string;
  errors?: { path: string; message: string }[];
  [key: string]: unknown;
}

/** Asserts the response is problem+json and returns the parsed body. */
export async function problemOf(res: Response): Promise<Problem> {
  const type = res.headers.get("Content-Type") ?? "";
  if (!type.startsWith("application/problem+json")) {
    throw new Error(`expected problem+json, got ${res.status} ${type}: ${await res.text()}`);
  }
  return (await res.json()) as Problem;
}
