import type { Json } from "../../bench/lib/api";
import type { Recorder } from "./recorder";

export interface Answer {
  label: string;
  status: number;
  ok: boolean;
  body: Json;
  headers: Headers;
  /** performance.now() when the request was sent and when its body had been read. */
  sentAt: number;
  receivedAt: number;
}

export interface CallOptions {
  token?: string | null;
  body?: unknown;
  /** Which statuses the scenario expects; default any 2xx. */
  expect?: (status: number) => boolean;
}

const is2xx = (status: number) => status >= 200 && status < 300;

/** Raised by `must` so a journey stops at its first unexpected answer (already recorded). */
export class UnexpectedAnswer extends Error {
  constructor(readonly answer: Answer) {
    super(`${answer.label}: ${answer.status} ${answer.body?.code ?? ""} ${answer.body?.detail ?? ""}`.trim());
  }
}

export function must(answer: Answer): Answer {
  if (!answer.ok) throw new UnexpectedAnswer(answer);
  return answer;
}

/**
 * HTTP over Node's fetch (undici, which keeps connections alive and reuses them), every call timed and
 * recorded with its status and problem `code`. It never throws on an answer: scenarios decide.
 */
export class LoadClient {
  constructor(
    readonly baseUrl: string,
    private readonly recorder: Recorder,
    private readonly timeoutMs: number,
  ) {}

  /** The same server and timeout, recording into another phase's recorder. */
  recordingInto(recorder: Recorder): LoadClient {
    return new LoadClient(this.baseUrl, recorder, this.timeoutMs);
  }

  async call(label: string, method: string, path: string, options: CallOptions = {}): Promise<Answer> {
    const headers: Record<string, string> = {};
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    if (options.body !== undefined) headers["Content-Type"] = "application/json";
    const sentAt = performance.now();
    let status = 0;
    let code: string | null = null;
    let body: Json = null;
    let responseHeaders = new Headers();
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      status = res.status;
      responseHeaders = res.headers;
      const text = await res.text();
      body = (res.headers.get("Content-Type") ?? "").includes("json") && text ? JSON.parse(text) : text;
      if (!is2xx(status)) code = typeof body?.code === "string" ? body.code : null;
    } catch (error) {
      code = (error as Error).name === "TimeoutError" ? "timeout" : "network";
      body = { code, detail: String((error as Error).message) };
    }
    const receivedAt = performance.now();
    const ok = status !== 0 && (options.expect ?? is2xx)(status);
    this.recorder.add({ label, ms: receivedAt - sentAt, status, code, ok });
    return { label, status, ok, body, headers: responseHeaders, sentAt, receivedAt };
  }
}
