/** First retry waits about this long; each later one twice as long as the one before. */
const BACKOFF_BASE_SECONDS = 10;
/** No retry waits longer than an hour. */
const BACKOFF_CAP_SECONDS = 3600;
/** ±25 % jitter, so jobs that failed together (an outage) do not all retry in the same second. */
const BACKOFF_JITTER = 0.25;

/**
 * Seconds to wait before delivery `attempt + 1`, after `attempt` failed deliveries (attempt ≥ 1):
 * base · 2^(attempt−1), capped, times a random factor in [1 − jitter, 1 + jitter].
 */
export function backoffDelaySeconds(attempt: number, random: () => number = Math.random): number {
  const exponential = Math.min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2 ** Math.max(0, attempt - 1));
  const factor = 1 - BACKOFF_JITTER + 2 * BACKOFF_JITTER * random();
  return Math.max(1, Math.round(exponential * factor));
}
