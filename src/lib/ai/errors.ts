import type { AiUsage } from "./usage-meter";

const MAX_PROBLEMS_IN_MESSAGE = 5;

/**
 * No answer can be had right now: AI is not configured, the circuit breaker is open, the provider is
 * down or overloaded after the retries, or it did not answer in time. Routes answer 503 ai_unavailable.
 */
export class AiUnavailableError extends Error {
  /** A sentence for the client, naming what failed but never a secret. */
  readonly detail: string;
  /** When a retry may succeed (the breaker's cool-down or the provider's Retry-After). */
  readonly retryAfterSeconds?: number;

  constructor(detail: string, options: { retryAfterSeconds?: number; cause?: unknown } = {}) {
    super(detail, { cause: options.cause });
    this.name = "AiUnavailableError";
    this.detail = detail;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/**
 * The model answered, but no answer passed validation within the bounded retries. Carries the last
 * attempt's problems (never the raw answer) and the usage of every attempt, which was still spent.
 */
export class AiInvalidOutputError extends Error {
  constructor(
    readonly problems: string[],
    readonly usage: AiUsage,
  ) {
    const listed = problems.slice(0, MAX_PROBLEMS_IN_MESSAGE).join("; ");
    const more = problems.length > MAX_PROBLEMS_IN_MESSAGE ? ` (and ${problems.length - MAX_PROBLEMS_IN_MESSAGE} more)` : "";
    super(`The AI's answer did not pass validation after ${usage.attempts} attempts: ${listed}${more}`);
    this.name = "AiInvalidOutputError";
  }
}
