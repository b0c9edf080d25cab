/**
 * Resend over its HTTP API (https://resend.com/docs/api-reference): one message per call, or up to
 * 100 through the batch endpoint. Every call carries an Idempotency-Key, so a retried job whose first
 * call did reach Resend sends nothing twice. Answers are outcomes, never throws: the caller decides
 * what a failure means for its job.
 */
const RESEND_BATCH_LIMIT = 100;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_ERROR_CHARS = 500;

export interface ResendSettings {
  apiKey: string;
  baseUrl: string;
}

export interface OutgoingEmail {
  from: string;
  to: string;
  subject: string;
  html: string;
  text: string;
  headers: Record<string, string>;
}

export type ResendFailure = {
  ok: false;
  /** 429, 5xx, a timeout or a network error: the same call may succeed later. */
  retryable: boolean;
  status: number | null;
  error: string;
};

export type ResendResult<T> = { ok: true; value: T } | ResendFailure;

function payload(email: OutgoingEmail) {
  return {
    from: email.from,
    to: [email.to],
    subject: email.subject,
    html: email.html,
    text: email.text,
    ...(Object.keys(email.headers).length > 0 ? { headers: email.headers } : {}),
  };
}

/** Resend answers 409 `concurrent_idempotent_requests` while the first call with the key is still running. */
function isRetryable(status: number, body: string): boolean {
  return status === 429 || status >= 500 || (status === 409 && body.includes("concurrent_idempotent_requests"));
}

async function call(settings: ResendSettings, path: string, body: unknown, idempotencyKey: string): Promise<ResendResult<unknown>> {
  let response: Response;
  try {
    response = await fetch(`${settings.baseUrl}${path}`, {
      method: "POST",
      headers: {
        Authorization: `Bearer ${settings.apiKey}`,
        "Content-Type": "application/json",
        "Idempotency-Key": idempotencyKey,
        "User-Agent": "proctor-email/1",
      },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    return { ok: false, retryable: true, status: null, error: `Resend unreachable: ${String(error)}`.slice(0, MAX_ERROR_CHARS) };
  }
  const text = await response.text().catch(() => "");
  if (!response.ok) {
    return {
      ok: false,
      retryable: isRetryable(response.status, text),
      status: response.status,
      error: `Resend answered ${response.status}: ${text}`.slice(0, MAX_ERROR_CHARS),
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, retryable: true, status: response.status, error: "Resend answered with a body that is not JSON" };
  }
}

/** POST /emails; the value is Resend's id of the message. */
export async function sendEmail(settings: ResendSettings, email: OutgoingEmail, idempotencyKey: string): Promise<ResendResult<string>> {
  const result = await call(settings, "/emails", payload(email), idempotencyKey);
  if (!result.ok) return result;
  const id = (result.value as { id?: unknown }).id;
  return typeof id === "string"
    ? { ok: true, value: id }
    : { ok: false, retryable: false, status: 200, error: "Resend's answer has no id" };
}

/** POST /emails/batch (at most RESEND_BATCH_LIMIT); the value holds Resend's ids in the order of `emails`. */
export async function sendEmailBatch(
  settings: ResendSettings,
  emails: OutgoingEmail[],
  idempotencyKey: string,
): Promise<ResendResult<string[]>> {
  if (emails.length === 0 || emails.length > RESEND_BATCH_LIMIT) throw new RangeError(`A batch holds 1–${RESEND_BATCH_LIMIT} emails`);
  const result = await call(settings, "/emails/batch", emails.map(payload), idempotencyKey);
  if (!result.ok) return result;
  const data = (result.value as { data?: unknown }).data;
  const ids = Array.isArray(data) ? data.map((entry) => (entry as { id?: unknown })?.id) : [];
  if (ids.length !== emails.length || !ids.every((id): id is string => typeof id === "string")) {
    return { ok: false, retryable: false, status: 200, error: "Resend's batch answer does not name every message" };
  }
  return { ok: true, value: ids };
}
