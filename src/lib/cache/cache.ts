import type { Database } from "../../db";
import { awaitShared } from "../await-shared";
import { clock } from "../clock";
import type { Logger } from "../logger";
import { entryBytes, ratio, readEntry, writeEntry, type StoredEntry } from "./entries";
import { Lru } from "./lru";
import { invalidationStatement, readTagVersions, TAG_RECHECK_MS, TagVersions, type TagVersionMap } from "./tag-versions";
import { HIT_FLUSH_INTERVAL_MS, HitCounter } from "./usage";

/** What a read needs from its caller: the databases, and a way to write after the response. */
export interface CacheContext {
  /** The database the caller reads (a request's read-replication session, if any): loaders read it too. */
  db: Database;
  /**
   * The primary database (the D1 binding itself, never a replica session): tag versions are checked
   * there, so no replica's lag can stretch the bound on a stale read.
   */
  primary: Database;
  /** `ExecutionContext.waitUntil`: fills and hit counts reach D1 through it, off the response path. */
  waitUntil(promise: Promise<unknown>): void;
  logger?: Logger;
}

export interface CacheOptions {
  /** How long the value may be served, in milliseconds, from this isolate and from D1. */
  ttlMs: number;
  /** What the value depends on: a write that bumps any of these tags makes it stale everywhere. */
  tags: readonly string[];
}

export interface CacheLimits {
  maxEntries: number;
  /** Approximate bytes (characters of keys and JSON) held by the isolate. */
  maxBytes: number;
  /** A larger value is returned to its caller but cached nowhere (a D1 row holds at most 2 MB). */
  maxEntryBytes: number;
}

const DEFAULT_CACHE_LIMITS: CacheLimits = { maxEntries: 2_000, maxBytes: 16 * 1024 * 1024, maxEntryBytes: 256 * 1024 };

type Held = StoredEntry & { bytes: number };

/** One lookup (and load, on a miss) of a key in this isolate, shared by every caller that asks meanwhile. */
class Flight {
  /** Set when a write invalidated one of its tags mid-load: its result is returned but not stored. */
  superseded = false;
  readonly promise: Promise<string>;

  constructor(
    readonly tags: readonly string[],
    run: (flight: Flight) => Promise<string>,
  ) {
    this.promise = run(this);
  }
}

/**
 * The cache: an LRU in this isolate in front of D1 `cache_entries`, shared by every isolate. Values
 * are JSON, stored as text and parsed for each caller, so a hit returns exactly what a miss does and
 * no caller can change another's copy. Each entry records the versions of its tags when its value was
 * read; it is served only while they are current (see TagVersions for the bound across isolates).
 */
export class Cache {
  private readonly memory: Lru<Held>;
  private readonly versions = new TagVersions();
  private readonly hitCounts = new HitCounter();
  private readonly flights = new Map<string, Flight>();
  private readonly counters = { memoryHits: 0, sharedHits: 0, misses: 0, coalesced: 0 };

  constructor(readonly limits: CacheLimits = DEFAULT_CACHE_LIMITS) {
    this.memory = new Lru(limits.maxEntries, limits.maxBytes);
  }

  /** The cached value, or undefined when there is none live (missing, expired, or a tag was bumped). */
  async get<T>(ctx: CacheContext, key: string): Promise<T | undefined> {
    const json = await this.lookup(ctx, key);
    if (json !== null) return JSON.parse(json) as T;
    this.counters.misses += 1;
    return undefined;
  }

  /**
   * The cached value, or the loader's (stored for the next caller). Concurrent calls for one key in
   * this isolate share one lookup and one loader run. The loader must not depend on who calls: the
   * key names everything the value depends on, and access checks run on the value after this returns.
   * A loader that throws (e.g. not found) caches nothing. Callers that join a load started by another
   * request wait through `awaitShared`, so they resume in their own request.
   */
  async getOrSet<T>(ctx: CacheContext, key: string, options: CacheOptions, loader: () => Promise<T>): Promise<T> {
    let flight = this.flights.get(key);
    if (flight) {
      this.counters.coalesced += 1;
    } else {
      const started = new Flight(options.tags, (self) => this.resolve(ctx, key, options, loader, self));
      const land = () => {
        if (this.flights.get(key) === started) this.flights.delete(key);
      };
      started.promise.then(land, land);
      this.flights.set(key, started);
      flight = started;
    }
    return JSON.parse(await awaitShared(flight.promise)) as T;
  }

  /**
   * Stores a value the caller computed, and waits for the D1 write. Prefer getOrSet: it reads the tag
   * versions before loading, so a write racing the load can only make the entry stale; here a value
   * computed before a concurrent write could be labelled with that write's versions.
   */
  async set(db: Database, key: string, value: unknown, options: CacheOptions): Promise<void> {
    const tagVersions = await readTagVersions(db, options.tags);
    const entry = this.entryOf(key, value, tagVersions, options.ttlMs);
    if (this.hold(key, entry)) await writeEntry(db, key, entry, clock.now(), false);
  }

  /** Bumps `tags` in D1 on its own and applies it here. A route writing D1 anyway puts `invalidationStatement` in its batch instead. */
  async invalidateTags(db: Database, tags: readonly string[]): Promise<void> {
    if (tags.length === 0) return;
    this.tagsInvalidated(await invalidationStatement(db, tags));
  }

  /**
   * This isolate's side of a committed invalidation (the rows `invalidationStatement` returned): its
   * copy of those tags is dropped, so the next read here checks D1 and sees the write at once; entries
   * and loads under way that depend on them are dropped too, so no later caller joins a stale load.
   */
  tagsInvalidated(bumped: readonly ({ tag: string } | string)[]): void {
    const tags = new Set(bumped.map((row) => (typeof row === "string" ? row : row.tag)));
    if (tags.size === 0) return;
    this.versions.forget(tags);
    this.memory.deleteWhere((held) => Object.keys(held.tagVersions).some((tag) => tags.has(tag)));
    for (const [key, flight] of this.flights) {
      if (!flight.tags.some((tag) => tags.has(tag))) continue;
      flight.superseded = true;
      this.flights.delete(key);
    }
  }

  /** This isolate's view, for operators (the shared view is `sharedStats`). */
  stats() {
    const { memoryHits, sharedHits, misses, coalesced } = this.counters;
    return {
      ...this.memory.stats(),
      maxEntryBytes: this.limits.maxEntryBytes,
      memoryHits,
      sharedHits,
      misses,
      coalesced,
      hitRatio: ratio(memoryHits + sharedHits, misses),
      loadsInFlight: this.flights.size,
      knownTags: this.versions.size,
      tagRecheckMs: TAG_RECHECK_MS,
      keysWithUnflushedHits: this.hitCounts.pendingKeys,
      hitFlushIntervalMs: HIT_FLUSH_INTERVAL_MS,
    };
  }

  private async resolve<T>(
    ctx: CacheContext,
    key: string,
    options: CacheOptions,
    loader: () => Promise<T>,
    flight: Flight,
  ): Promise<string> {
    const cached = await this.lookup(ctx, key);
    if (cached !== null) return cached;
    // The label is read just before the value, through the same database (and replica session, so the
    // value is at least as new as the label): a write committing after this read can only make the entry stale.
    this.counters.misses += 1;
    const tagVersions = await readTagVersions(ctx.db, options.tags);
    const entry = this.entryOf(key, await loader(), tagVersions, options.ttlMs);
    if (!flight.superseded && this.hold(key, entry)) {
      ctx.waitUntil(
        writeEntry(ctx.db, key, entry, clock.now(), true).catch((error: unknown) =>
          ctx.logger?.warn("cache entry not written", { key, error: String(error) }),
        ),
      );
    }
    return entry.json;
  }

  /** The JSON of a live entry, from this isolate or else from D1 (then held here), counting the hit; null when there is none. */
  private async lookup(ctx: CacheContext, key: string): Promise<string | null> {
    const now = clock.now();
    const held = this.memory.get(key);
    if (held) {
      if (held.expiresAt > now && (await this.isCurrent(ctx.primary, held.tagVersions))) return this.hit(ctx, key, "memory", held.json);
      this.memory.delete(key);
    }
    const stored = await readEntry(ctx.db, key);
    if (!stored || stored.expiresAt <= now || !(await this.isCurrent(ctx.primary, stored.tagVersions))) return null;
    this.hold(key, stored);
    return this.hit(ctx, key, "shared", stored.json);
  }

  private async isCurrent(primary: Database, recorded: TagVersionMap): Promise<boolean> {
    const tags = Object.keys(recorded);
    if (tags.length === 0) return true;
    const current = await this.versions.current(primary, tags, recorded);
    return tags.every((tag) => current[tag] === recorded[tag]);
  }

  private entryOf(key: string, value: unknown, tagVersions: TagVersionMap, ttlMs: number): StoredEntry {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError(`The value for cache key ${key} is not JSON.`);
    return { json, tagVersions, expiresAt: clock.now() + ttlMs };
  }

  /** Keeps the entry in this isolate; false when it is too large to cache at all. */
  private hold(key: string, entry: StoredEntry): boolean {
    const bytes = entryBytes(key, entry.json);
    if (bytes > this.limits.maxEntryBytes) return false;
    this.memory.set(key, { ...entry, bytes });
    return true;
  }

  private hit(ctx: CacheContext, key: string, tier: "memory" | "shared", json: string): string {
    this.counters[tier === "memory" ? "memoryHits" : "sharedHits"] += 1;
    const now = clock.now();
    this.hitCounts.hit(key, now);
    const write = this.hitCounts.takeDueWrite(ctx.db, now);
    if (write) ctx.waitUntil(write.catch((error: unknown) => ctx.logger?.warn("cache hit counts not written", { error: String(error) })));
    return json;
  }
}
