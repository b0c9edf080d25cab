/**
 * Remembers, per isolate, when each subject was last reported, so a flood (a client retrying a revoked
 * key, a scanner sending thousands of probes) yields one security event per period instead of one
 * D1 write per request. Bounded: past `maxRemembered` subjects it forgets them all and starts over.
 */
export class QuietPeriod {
  private readonly lastReported = new Map<string, number>();

  constructor(
    private readonly periodMs: number,
    private readonly maxRemembered = 10_000,
  ) {}

  /** True, and remembered, when `subject` has not been reported within the period. */
  admit(subject: string, now: number): boolean {
    const last = this.lastReported.get(subject);
    if (last !== undefined && now - last >= 0 && now - last < this.periodMs) return false;
    if (this.lastReported.size >= this.maxRemembered) this.lastReported.clear();
    this.lastReported.set(subject, now);
    return true;
  }
}
