import { env } from "cloudflare:workers";
import { createDb } from "../../src/db";
import { DAY_MS } from "../../src/lib/clock";
import { RETENTION_CRON, runCron } from "../../workers/cron";

export { DAY_MS };
export const db = createDb(env.DB);

/** Runs the daily retention cron (optionally with settings overridden) and returns its outcome. */
export function runRetention(vars: Record<string, string> = {}) {
  return runCron(RETENTION_CRON, { ...env, ...vars });
}

/** Which of `ids` are still in `table`. */
export async function surviving(table: string, column: string, ids: string[]): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `SELECT ${column} AS id FROM ${table} WHERE ${column} IN (SELECT value FROM json_each(?)) ORDER BY ${column}`,
  )
    .bind(JSON.stringify(ids))
    .all<{ id: string }>();
  return results.map((row) => row.id);
}
