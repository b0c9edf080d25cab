/** How often something was used, and when last, counted in the isolate since the last flush. */
export interface Usage {
  count: number;
  lastUsedAt: number;
}

function addTo(map: Map<string, Usage>, id: string, usage: Usage): void {
  const current = map.get(id);
  if (current) {
    current.count += usage.count;
    current.lastUsedAt = Math.max(current.lastUsedAt, usage.lastUsedAt);
  } else {
    map.set(id, { ...usage });
  }
}

function subtractFrom(map: Map<string, Usage>, id: string, usage: Usage): void {
  const current = map.get(id);
  if (!current) return;
  current.count -= usage.count;
  if (current.count <= 0) map.delete(id);
}

/**
 * Use counts kept in the isolate and handed out for writing at most once per `intervalMs`, so a use
 * (an API key authenticating a request, a cache hit) costs no D1 write: the owner writes each batch
 * in one round trip, off the response path. Counts still pending when an isolate is evicted are lost,
 * so tallies are for information (usage figures, hit counts), never for billing.
 */
export class UsageTally {
  private readonly waiting = new Map<string, Usage>();
  /** Counts taken for a flush whose write has not finished yet: still reported, never lost. */
  private readonly writing = new Map<string, Usage>();
  private lastFlushAt = Number.NEGATIVE_INFINITY;

  constructor(readonly intervalMs: number) {}

  track(id: string, now: number): void {
    addTo(this.waiting, id, { count: 1, lastUsedAt: now });
  }

  /** Uses counted here but not yet written, so a reader is not behind by a flush interval. */
  pending(id: string): Usage | undefined {
    const waiting = this.waiting.get(id);
    const writing = this.writing.get(id);
    if (!waiting || !writing) return waiting ?? writing;
    return { count: waiting.count + writing.count, lastUsedAt: Math.max(waiting.lastUsedAt, writing.lastUsedAt) };
  }

  /** Ids with uses not yet handed out for writing. */
  get size(): number {
    return this.waiting.size;
  }

  /** Takes every pending count when a flush is due (and none when it is not), leaving the tally empty. */
  takeDue(now: number): Map<string, Usage> | null {
    const sinceLast = now - this.lastFlushAt;
    // A negative interval means the clock moved back (tests): flush rather than wait for it to catch up.
    if (this.waiting.size === 0 || (sinceLast >= 0 && sinceLast < this.intervalMs)) return null;
    this.lastFlushAt = now;
    const batch = new Map(this.waiting);
    this.waiting.clear();
    for (const [id, usage] of batch) addTo(this.writing, id, usage);
    return batch;
  }

  /** Runs the owner's write of a taken batch; on failure the counts go back to pending for the next flush. */
  async write(batch: Map<string, Usage>, write: (batch: Map<string, Usage>) => Promise<unknown>): Promise<void> {
    try {
      if (batch.size > 0) await write(batch);
    } catch (error) {
      for (const [id, usage] of batch) addTo(this.waiting, id, usage);
      throw error;
    } finally {
      for (const [id, usage] of batch) subtractFrom(this.writing, id, usage);
    }
  }
}
