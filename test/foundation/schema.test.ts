import { env } from "cloudflare:workers";
import { getTableConfig, type SQLiteTable } from "drizzle-orm/sqlite-core";
import { is } from "drizzle-orm";
import { SQLiteTable as SQLiteTableClass } from "drizzle-orm/sqlite-core";
import { describe, expect, it } from "vitest";
import * as schema from "../../src/db/schema";

const tables = (Object.values(schema) as unknown[]).filter((value): value is SQLiteTable => is(value, SQLiteTableClass));

async function sqliteObjects(type: "table" | "index"): Promise<Set<string>> {
  const { results } = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = ?").bind(type).all<{ name: string }>();
  return new Set(results.map((row) => row.name));
}

describe("the migrated database", () => {
  it("has every table of the data model", async () => {
    const present = await sqliteObjects("table");
    const expected = tables.map((table) => getTableConfig(table).name);
    expect(expected.length).toBeGreaterThanOrEqual(30);
    for (const name of expected) expect(present, `table ${name}`).toContain(name);
    for (const name of [
      "audit_logs",
      "error_logs",
      "system_metrics",
      "jobs",
      "rate_limit_logs",
      "api_keys",
      "security_events",
      "cache_entries",
      "events",
      "webhooks",
      "webhook_deliveries",
    ]) {
      expect(present, `infrastructure table ${name}`).toContain(name);
    }
  });

  it("has every index the schema declares", async () => {
    const present = await sqliteObjects("index");
    const expected = tables.flatMap((table) => getTableConfig(table).indexes.map((index) => index.config.name));
    expect(expected.length).toBeGreaterThan(40);
    for (const name of expected) expect(present, `index ${name}`).toContain(name);
  });

  it("enforces foreign keys", async () => {
    const insert = env.DB.prepare(
      "INSERT INTO sessions (id, user_id, token_hash, created_at, expires_at) VALUES ('ses_x', 'usr_missing', 'h', 0, 1)",
    );
    await expect(insert.run()).rejects.toThrow(/FOREIGN KEY/);
  });
});
