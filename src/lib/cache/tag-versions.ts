import { sql, type SQL } from "drizzle-orm";
import { cacheTags } from "../../db/schema";
import type { Database } from "../../db";
import { clock } from "../clock";

/**
 * How long this isolate trusts its copy of a tag's version before reading it from D1 again. It is the
 * bound on a stale read: a write committed by ANOTHER isolate is seen here at most this late. The
 * isolate that performs the write sees it at once (`TagVersions.forget`).
 */
export const TAG_RECHECK_MS = 5_000;
/** Tags remembered per isolate; beyond it the least recently read are forgotten (and simply read again). */
const MAX_KNOWN_TAGS = 10_000;

export type TagVersionMap = Record<string, number>;

interface Known {
  version: number;
  /** When the read that produced `version` started: the version is at least as new as that instant. */
  checkedAt: number;
  /** `forgets` when the read started; a later forget makes the read too old to remember. */
  epoch: number;
}

/** The versions of `tags` as `db` sees them now (a tag without a row is at version 0). */
export async function readTagVersions(db: Database, tags: readonly string[]): Promise<TagVersionMap> {
  const versions: TagVersionMap = Object.fromEntries(tags.map((tag) => [tag, 0]));
  if (tags.length === 0) return versions;
  const rows = await db
    .select({ tag: cacheTags.tag, version: cacheTags.version })
    .from(cacheTags)
    .where(sql`${cacheTags.tag} IN (SELECT value FROM json_each(${JSON.stringify(tags)}))`);
  for (const row of rows) versions[row.tag] = row.version;
  return versions;
}

/**
 * This isolate's copy of the current tag versions, read from the primary database and each trusted
 * for `recheckMs` after it was read: what a stored entry's label is compared with.
 */
export class TagVersions {
  private readonly known = new Map<string, Known>();
  private forgets = 0;

  constructor(readonly recheckMs = TAG_RECHECK_MS) {}

  get size(): number {
    return this.known.size;
  }

  /**
   * The current version of each tag: from memory when read less than `recheckMs` ago, the rest in one
   * query to `primary`. A tag whose known version is older than `atLeast` (a version some stored
   * entry was labelled with) is read again at once: someone has seen a newer version than this isolate has.
   */
  async current(primary: Database, tags: readonly string[], atLeast: TagVersionMap = {}): Promise<TagVersionMap> {
    const now = clock.now();
    const versions: TagVersionMap = {};
    const stale: string[] = [];
    for (const tag of tags) {
      const known = this.known.get(tag);
      const age = known ? now - known.checkedAt : -1;
      // A negative age means the clock moved back (tests): the copy is not trusted either.
      if (!known || age < 0 || age >= this.recheckMs || known.version < (atLeast[tag] ?? 0)) stale.push(tag);
      else versions[tag] = known.version;
    }
    if (stale.length === 0) return versions;
    const epoch = this.forgets;
    const read = await readTagVersions(primary, stale);
    for (const tag of stale) {
      versions[tag] = read[tag]!;
      this.remember(tag, { version: read[tag]!, checkedAt: now, epoch });
    }
    return versions;
  }

  /** After this isolate bumped `tags`: their next read goes to D1, and reads already under way are not remembered. */
  forget(tags: Iterable<string>): void {
    this.forgets += 1;
    for (const tag of tags) this.remember(tag, { version: -1, checkedAt: Number.NEGATIVE_INFINITY, epoch: this.forgets });
  }

  private remember(tag: string, next: Known): void {
    const current = this.known.get(tag);
    if (current && current.epoch > next.epoch) return;
    this.known.delete(tag);
    this.known.set(tag, next);
    if (this.known.size > MAX_KNOWN_TAGS) this.known.delete(this.known.keys().next().value!);
  }
}

/**
 * The statement that bumps the version of each tag, for the caller's own `db.batch` beside the write
 * that changes what those tags cover (and its audit row), so both commit or neither does. `also` is an
 * SQL select of a `tag` column for tags the database must decide at commit time (every test holding
 * an edited question). The statement returns the tags it bumped: hand them to `cache.tagsInvalidated`
 * once the batch has committed.
 */
export function invalidationStatement(db: Database, tags: readonly string[], also?: SQL) {
  const listed = sql`SELECT value AS tag FROM json_each(${JSON.stringify(tags)})`;
  const source = also ? sql`${listed} UNION ${also}` : listed;
  return (
    db
      .insert(cacheTags)
      // `WHERE true` keeps SQLite from reading ON CONFLICT as a join constraint of the SELECT.
      .select(sql`SELECT DISTINCT tag, 1, ${clock.now()} FROM (${source}) WHERE true`)
      .onConflictDoUpdate({ target: cacheTags.tag, set: { version: sql`${cacheTags.version} + 1`, updatedAt: sql`excluded.updated_at` } })
      .returning({ tag: cacheTags.tag })
  );
}

/** The same statement for code that batches raw D1 statements (`env.DB.batch`, the scoring job). */
export function invalidationStatementD1(d1: D1Database, db: Database, tags: readonly string[], also?: SQL): D1PreparedStatement {
  const query = invalidationStatement(db, tags, also).toSQL();
  return d1.prepare(query.sql).bind(...query.params);
}
