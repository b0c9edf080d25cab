import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clock, HOUR_MS } from "../../src/lib/clock";
import type { FileArea } from "../../src/lib/storage/areas";
import { sweepArea } from "../../src/lib/storage/orphan-sweep";
import { createUser } from "../helpers/auth";
import { call } from "../helpers/http";
import { png } from "../helpers/files";
import { exportHarness } from "../exports/helpers";
import { db, runRetention } from "./support";

async function uploadPng(headers: Record<string, string>): Promise<{ id: string; key: string }> {
  const form = new FormData();
  form.append("file", new File([png()], "diagram.png", { type: "image/png" }));
  const res = await call("/v1/uploads", { method: "POST", headers, body: form });
  expect(res.status, await res.clone().text()).toBe(201);
  return (await res.json()) as { id: string; key: string };
}

const exists = async (key: string) => (await env.FILES.head(key)) !== null;

describe("orphan R2 objects (ORPHAN_FILE_GRACE_HOURS, default 24)", () => {
  it("deletes old objects no upload row refers to; keeps referenced, recent and undeclared ones", async () => {
    const { headers } = await createUser();
    const kept = await uploadPng(headers);
    const dropped = await uploadPng(headers);
    await env.DB.prepare("DELETE FROM uploads WHERE id = ?").bind(dropped.id).run();
    const stray = `uploads/usr_gone/upl_${crypto.randomUUID()}.png`;
    await env.FILES.put(stray, png());
    const undeclared = `elsewhere/${crypto.randomUUID()}.bin`;
    await env.FILES.put(undeclared, "not swept");

    const fresh = await runRetention();
    expect(fresh["sweep-orphan-files"]).toMatchObject({ "uploads/": { deleted: 0, complete: true } });
    clock.advance(23 * HOUR_MS);
    expect((await runRetention())["sweep-orphan-files"]).toMatchObject({ "uploads/": { deleted: 0 } });
    for (const key of [kept.key, dropped.key, stray, undeclared]) expect(await exists(key), key).toBe(true);

    clock.advance(2 * HOUR_MS);
    const outcome = await runRetention();
    expect(outcome["sweep-orphan-files"]).toMatchObject({ "uploads/": { listed: 3, deleted: 2, complete: true } });
    expect(await exists(kept.key)).toBe(true);
    expect(await exists(dropped.key)).toBe(false);
    expect(await exists(stray)).toBe(false);
    expect(await exists(undeclared)).toBe(true);
    const content = await call(`/v1/uploads/${kept.id}/content`, { headers });
    expect(content.status).toBe(200);
  });

  it("exports/: a file no completed export holds is swept; a completed export's file stays until it expires", async () => {
    const harness = exportHarness();
    const owner = await createUser({ role: "instructor" });
    const held = await harness.produce(owner, { kind: "question_bank", format: "csv" });
    const leftover = `exports/${owner.user.id}/exp_${crypto.randomUUID()}/died-mid-way.csv`;
    await env.FILES.put(leftover, "a,b\r\n");
    clock.advance(25 * HOUR_MS);
    const outcome = await runRetention();
    expect(outcome["sweep-orphan-files"]).toMatchObject({ "exports/": { listed: 2, deleted: 1, complete: true } });
    expect(await exists(held.fileKey!)).toBe(true);
    expect(await exists(leftover)).toBe(false);
  });

  it("honours a shorter grace period from the setting", async () => {
    const stray = `uploads/usr_gone/upl_${crypto.randomUUID()}.png`;
    await env.FILES.put(stray, png());
    clock.advance(2 * HOUR_MS);
    await runRetention({ ORPHAN_FILE_GRACE_HOURS: "3" });
    expect(await exists(stray)).toBe(true);
    await runRetention({ ORPHAN_FILE_GRACE_HOURS: "1" });
    expect(await exists(stray)).toBe(false);
  });
});

describe("sweepArea", () => {
  const prefix = `sweep-test-${crypto.randomUUID()}/`;
  const keys = Array.from({ length: 5 }, (_, i) => `${prefix}${i}`);
  const seen: string[][] = [];
  /** An area whose owner wants nothing but the odd-numbered objects, and records what it was asked. */
  const area: FileArea = {
    prefix,
    async unneeded(_db, objects) {
      seen.push(objects.map((object) => object.key));
      return objects.map((object) => object.key).filter((key) => Number(key.slice(prefix.length)) % 2 === 1);
    },
  };
  const limits = { graceMs: HOUR_MS, pageSize: 2, maxPages: 1 };

  it("lists a bounded number of objects per run and continues where the last run stopped", async () => {
    for (const key of keys) await env.FILES.put(key, key);
    const later = clock.now() + 2 * HOUR_MS;

    expect(await sweepArea(db, env.FILES, area, later, limits)).toEqual({ listed: 2, deleted: 1, complete: false });
    expect(await sweepArea(db, env.FILES, area, later, limits)).toEqual({ listed: 2, deleted: 1, complete: false });
    expect(await sweepArea(db, env.FILES, area, later, limits)).toEqual({ listed: 1, deleted: 0, complete: true });
    expect(seen).toEqual([keys.slice(0, 2), keys.slice(2, 4), keys.slice(4)]);
    const cursor = await env.DB.prepare("SELECT start_after FROM file_sweep_cursors WHERE prefix = ?").bind(prefix).first();
    expect(cursor).toBeNull();

    // Back at the start after a full pass.
    expect(await sweepArea(db, env.FILES, area, later, { ...limits, pageSize: 10 })).toEqual({ listed: 3, deleted: 0, complete: true });
    const left = await env.FILES.list({ prefix });
    expect(left.objects.map((object) => object.key)).toEqual([keys[0], keys[2], keys[4]]);
  });

  it("never asks about, let alone deletes, an object younger than the grace period", async () => {
    const young = `${prefix}young`;
    await env.FILES.put(young, "young");
    const youngAt = (await env.FILES.head(young))!.uploaded.getTime();
    const older = await Promise.all([keys[0]!, keys[2]!, keys[4]!].map((key) => env.FILES.head(key)));
    const oldAt = Math.max(...older.map((object) => object!.uploaded.getTime()));
    expect(youngAt).toBeGreaterThan(oldAt + 1);
    /** An owner that wants everything under its prefix gone, young or not. */
    const greedy: FileArea = {
      prefix,
      async unneeded(_db, objects) {
        seen.push(objects.map((object) => object.key));
        return (await env.FILES.list({ prefix })).objects.map((object) => object.key);
      },
    };
    seen.length = 0;
    const graceMs = Math.floor((youngAt - oldAt) / 2);
    const result = await sweepArea(db, env.FILES, greedy, youngAt, { graceMs });
    expect(result).toEqual({ listed: 4, deleted: 3, complete: true });
    expect(seen.flat()).not.toContain(young);
    expect((await env.FILES.list({ prefix })).objects.map((object) => object.key)).toEqual([young]);
  });
});
