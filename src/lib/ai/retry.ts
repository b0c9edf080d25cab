import { APIConnectionError, APIConnectionTimeoutError, APIError } from "openai";
import { clock } from "../clock";
import { AiUnavailableError } from "./errors";

/**
 * Retries of a provider request. The openai SDK retries too, but it waits out any Retry-After up to
 * 60 s and silently replaces a longer one by its own short backoff; a request serving a user should
 * rather fail at once, saying when to come back. So the SDK runs with `maxRetries: 0` and this loop
 * retries 408/409/429/5xx, timeouts and connection errors, honouring `retry-after-ms`/`Retry-After`.
 */
const LONGEST_WAIT_MS = 20_000;
const FIRST_BACKOFF_MS = 500;
const LONGEST_BACKOFF_MS = 8_000;

/** The provider is down, overloaded or unreachable: the same request may succeed later. */
function isProviderFailure(error: unknown): error is APIError {
  if (error instanceof APIConnectionError) return true;
  if (!(error instanceof APIError) || error.status === undefined) return false;
  return error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500;
}

function requestedWaitMs(error: APIError): number | undefined {
  const milliseconds = Number.parseFloat(error.headers?.get("retry-after-ms") ?? "");
  if (Number.isFinite(milliseconds) && milliseconds >= 0) return milliseconds;
  const header = error.headers?.get("retry-after");
  if (!header) return undefined;
  const seconds = Number.parseFloat(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - clock.now());
}

const backoffMs = (retry: number) => Math.min(LONGEST_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** retry) * (0.75 + Math.random() * 0.25);

const toSeconds = (milliseconds: number | undefined) =>
  milliseconds === undefined ? undefined : Math.max(1, Math.ceil(milliseconds / 1000));

/** The client-facing account of a failed request; the provider's own message stays in `cause` (it may quote a key). */
export function unavailableFrom(error: APIError): AiUnavailableError {
  const retryAfterSeconds = toSeconds(requestedWaitMs(error));
  const detail =
    error instanceof APIConnectionTimeoutError
      ? "The AI provider did not answer in time."
      : error instanceof APIConnectionError || error.status === undefined
        ? "The AI provider could not be reached."
        : error.status === 429
          ? "The AI provider is rate limiting this deployment (429)."
          : error.status >= 500
            ? `The AI provider failed (${error.status}).`
            : `The AI provider refused the request (${error.status}).`;
  return new AiUnavailableError(detail, { cause: error, ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds }) });
}

/**
 * Sends, retrying provider failures up to `maxRetries` times. A failure that outlives its retries, or
 * whose Retry-After exceeds LONGEST_WAIT_MS, becomes AiUnavailableError; any other error (a 400, a
 * 401) is thrown unchanged for the caller to judge.
 */
export async function withRetries<T>(maxRetries: number, send: () => Promise<T>): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await send();
    } catch (error) {
      if (!isProviderFailure(error)) throw error;
      const requested = requestedWaitMs(error);
      if (retry >= maxRetries || (requested !== undefined && requested > LONGEST_WAIT_MS)) throw unavailableFrom(error);
      await new Promise((resolve) => setTimeout(resolve, requested ?? backoffMs(retry)));
    }
  }
}
