/**
 * The Standard Webhooks retry schedule: the first attempt at once, then retries after about
 * 5 s, 5 min, 30 min, 2 h, 5 h, 10 h and 10 h (±10 % jitter); a delivery whose eighth attempt
 * fails is failed.
 */
export const WEBHOOK_RETRY_DELAYS_SECONDS = [5, 300, 1800, 7200, 18_000, 36_000, 36_000] as const;
export const WEBHOOK_MAX_ATTEMPTS = WEBHOOK_RETRY_DELAYS_SECONDS.length + 1;
const WEBHOOK_RETRY_JITTER = 0.1;

/** Seconds before attempt `attempt + 1` after `attempt` failed ones, or null when none is left. */
export function webhookRetryDelaySeconds(attempt: number, random: () => number = Math.random): number | null {
  const base = WEBHOOK_RETRY_DELAYS_SECONDS[attempt - 1];
  if (base === undefined) return null;
  return Math.max(1, Math.round(base * (1 - WEBHOOK_RETRY_JITTER + 2 * WEBHOOK_RETRY_JITTER * random())));
}
