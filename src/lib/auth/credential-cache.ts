import { clock } from "../clock";

/**
 * How long a verified credential may be served from this isolate's memory before it is read from D1
 * again. It is the bound on how late a revocation made in ANOTHER isolate takes effect; in the isolate
 * that performs a revocation, rotation or role change, the entry is evicted at once.
 */
const CREDENTIAL_CACHE_TTL_MS = 5_000;
const MAX_ENTRIES = 5_000;

export interface CachedCredential {
  /** Session or API key id. */
  id: string;
  userId: string;
}

/** A small per-isolate map from credential hash to what D1 said about it, with a short time to live. */
export class CredentialCache<T extends CachedCredential> {
  private readonly entries = new Map<string, { value: T; cachedAt: number }>();

  get(hash: string): T | undefined {
    const entry = this.entries.get(hash);
    if (!entry) return undefined;
    const age = clock.now() - entry.cachedAt;
    // A negative age means the clock moved back (tests): the entry is not trusted either.
    if (age < 0 || age >= CREDENTIAL_CACHE_TTL_MS) {
      this.entries.delete(hash);
      return undefined;
    }
    return entry.value;
  }

  set(hash: string, value: T): void {
    if (this.entries.size >= MAX_ENTRIES) {
      // Maps iterate in insertion order, so this drops the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.set(hash, { value, cachedAt: clock.now() });
  }

  evict(predicate: (value: T) => boolean): void {
    for (const [hash, entry] of this.entries) if (predicate(entry.value)) this.entries.delete(hash);
  }

  evictId(id: string): void {
    this.evict((value) => value.id === id);
  }

  evictUser(userId: string): void {
    this.evict((value) => value.userId === userId);
  }

  clear(): void {
    this.entries.clear();
  }
}
