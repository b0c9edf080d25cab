import { Hono } from "hono";
import type { z } from "zod";
import type { cacheInvalidatedSchema, cacheStatsSchema } from "../../openapi/schemas/cache";
import { runAction } from "../actions";
import { withQuery } from "../api";
import type { ConsoleEnv } from "../env";
import { takeFlash } from "../flash";
import { ActionForm, Empty, Time } from "../ui/components";
import { Page } from "../ui/layout";

type CacheStats = z.infer<typeof cacheStatsSchema>;
type Invalidated = z.infer<typeof cacheInvalidatedSchema>;

interface TopEntry {
  key: string;
  tags?: string[];
  hits?: number;
  misses?: number;
  approximateBytes?: number;
  lastAccessedAt?: string | null;
  expiresAt?: string | null;
  createdAt?: string;
}

/** The tag rule of DELETE /v1/admin/cache (src/routes/admin-cache.ts), so the browser can say so before sending. */
const TAG_PATTERN = "[A-Za-z0-9_.:*\\-]+";

/** Labels and formats for the counters the API reports today; anything else it adds is shown under its own name. */
const LABELS: Record<string, [string, (value: number) => string]> = {
  entries: ["Entries", String],
  expiredEntries: ["Expired entries (not yet swept)", String],
  approximateBytes: ["Approximate size", bytes],
  bytes: ["Size", bytes],
  maxEntries: ["Entry limit", String],
  maxBytes: ["Size limit", bytes],
  maxEntryBytes: ["Largest cacheable entry", bytes],
  evictions: ["Evictions", String],
  hits: ["Hits", String],
  memoryHits: ["Hits from memory", String],
  sharedHits: ["Hits from D1", String],
  misses: ["Misses", String],
  coalesced: ["Loads shared by concurrent requests", String],
  hitRatio: ["Hit ratio", percent],
  loadsInFlight: ["Loads in flight", String],
  knownTags: ["Tag versions known", String],
  tagRecheckMs: ["Tag recheck interval", (ms) => `${ms} ms`],
  keysWithUnflushedHits: ["Keys with unflushed hit counts", String],
  hitFlushIntervalMs: ["Hit count flush interval", (ms) => `${ms} ms`],
};

function bytes(value: number): string {
  if (value < 1024) return `${value} B`;
  if (value < 1024 * 1024) return `${(value / 1024).toFixed(1)} KiB`;
  return `${(value / 1024 / 1024).toFixed(1)} MiB`;
}

function percent(value: number): string {
  return `${(value * 100).toFixed(1)}%`;
}

/** Every scalar the API reports for one side of the cache, labelled where known. */
function Counters({ title, stats }: { title: string; stats: Record<string, unknown> }) {
  const rows = Object.entries(stats).filter(([, value]) => value === null || ["number", "string", "boolean"].includes(typeof value));
  return (
    <table class="counters">
      <caption>{title}</caption>
      <tbody>
        {rows.map(([name, value]) => {
          const known = LABELS[name];
          const text = value === null ? "—" : typeof value === "number" && known ? known[1](value) : String(value);
          return (
            <tr>
              <th scope="row">{known ? known[0] : name}</th>
              <td class="num">{text}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

function TopEntries({ entries }: { entries: TopEntry[] }) {
  if (entries.length === 0) return <Empty text="The shared cache is empty." />;
  return (
    <table>
      <caption>Most hit entries</caption>
      <thead>
        <tr>
          <th scope="col">Key</th>
          <th scope="col">Tags</th>
          <th scope="col">Hits</th>
          <th scope="col">Misses</th>
          <th scope="col">Size</th>
          <th scope="col">Last read</th>
          <th scope="col">Expires</th>
        </tr>
      </thead>
      <tbody>
        {entries.map((entry) => (
          <tr>
            <th scope="row" class="wrap">
              <code>{entry.key}</code>
            </th>
            <td class="wrap">
              {(entry.tags ?? []).length === 0 ? (
                <span class="muted">—</span>
              ) : (
                (entry.tags ?? []).map((tag) => (
                  <>
                    <a href={withQuery("/admin/cache", { tag })}>
                      <code>{tag}</code>
                    </a>{" "}
                  </>
                ))
              )}
            </td>
            <td class="num">{entry.hits ?? "—"}</td>
            <td class="num">{entry.misses ?? "—"}</td>
            <td class="num">{entry.approximateBytes === undefined ? "—" : bytes(entry.approximateBytes)}</td>
            <td>
              <Time iso={entry.lastAccessedAt} />
            </td>
            <td>
              <Time iso={entry.expiresAt} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** The cache: what D1 holds for every isolate, this isolate's memory, and dropping everything under a tag. */
export const cachePage = new Hono<ConsoleEnv>()
  .get("/cache", async (c) => {
    const stats = await c.var.api.get<CacheStats>("/v1/admin/cache");
    const { topEntries, ...shared } = stats.shared;
    const tag = c.req.query("tag") ?? "";
    return c.html(
      <Page title="Cache" section="cache" admin={c.var.auth?.user.name} csrfToken={c.var.csrfToken} flash={takeFlash(c)}>
        <section aria-labelledby="invalidate">
          <h2 id="invalidate">Invalidate a tag</h2>
          <p>
            Drops every entry carrying the tag, in D1 now and in every isolate's memory within the tag recheck interval. Tags name what an
            entry was built from, e.g. <code>test:tst_…</code>; a tag with no entries is still bumped (harmless).
          </p>
          <ActionForm
            action="/admin/cache/invalidate"
            csrfToken={c.var.csrfToken}
            back="/admin/cache"
            label="Invalidate"
            confirm="Drop every cache entry with this tag?"
            danger
          >
            <label>
              Tag
              <input type="text" name="tag" value={tag} required maxlength={200} pattern={TAG_PATTERN} />
            </label>
          </ActionForm>
        </section>
        <h2>Statistics</h2>
        <div class="columns">
          <Counters title="Shared (D1, every isolate)" stats={shared} />
          <Counters title="This isolate's memory (the one that served this page)" stats={stats.isolate} />
        </div>
        <TopEntries entries={topEntries as TopEntry[]} />
      </Page>,
    );
  })
  .post("/cache/invalidate", (c) =>
    runAction(
      c,
      {
        back: "/admin/cache",
        success: ({ tag, deletedEntries }: Invalidated) =>
          `Tag ${tag} invalidated: ${deletedEntries} ${deletedEntries === 1 ? "entry" : "entries"} dropped.`,
      },
      (form, csrfToken) => c.var.api.delete<Invalidated>(withQuery("/v1/admin/cache", { tag: form.tag ?? "" }), csrfToken),
    ),
  );
