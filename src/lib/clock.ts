/**
 * The one source of "now" for the whole Worker (routes, jobs, crons, Durable Objects), so tests can
 * move time forward without waiting or faking the global Date.
 */
let offsetMs = 0;

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

export const clock = {
  now(): number {
    return Date.now() + offsetMs;
  },
  /** Tests only: moves every reader of the clock forward (or back) by `ms`. */
  advance(ms: number): void {
    offsetMs += ms;
  },
  /** Tests only: back to real time. */
  reset(): void {
    offsetMs = 0;
  },
};

export const iso = (epochMs: number): string => new Date(epochMs).toISOString();
export const isoOrNull = (epochMs: number | null | undefined): string | null => (epochMs == null ? null : iso(epochMs));
