import { describe, expect, it } from "vitest";
import { cache } from "../../src/lib/cache";
import { createUser } from "../helpers/auth";
import { call, sendJson } from "../helpers/http";
import { get, json } from "../exam/fixtures";
import { expectSameResponse } from "./support";

const catalogue = async () => (await json<{ data: { id: string; priceCents: number }[] }>(await call("/v1/plans"))).data;

describe("plans through the cache", () => {
  it("answers the public catalogue from the cache exactly as from D1", async () => {
    const miss = await call("/v1/plans");
    const hitsBefore = cache.stats().memoryHits;
    const hit = await call("/v1/plans");
    expect(cache.stats().memoryHits).toBeGreaterThan(hitsBefore);
    await expectSameResponse(miss, hit);
  });

  it("shows each plan change at once: created, repriced, retired", async () => {
    const admin = await createUser({ role: "admin" });
    await catalogue();
    const plan = await json(await sendJson("/v1/plans", "POST", { name: "Cached", priceCents: 500, intervalMonths: 1 }, admin.headers));
    expect((await catalogue()).map((p) => p.id)).toContain(plan.id);
    expect(await json(await call(`/v1/plans/${plan.id}`))).toMatchObject({ priceCents: 500 });

    expect((await sendJson(`/v1/plans/${plan.id}`, "PATCH", { priceCents: 900 }, admin.headers)).status).toBe(200);
    expect((await catalogue()).find((p) => p.id === plan.id)?.priceCents).toBe(900);
    expect(await json(await call(`/v1/plans/${plan.id}`))).toMatchObject({ priceCents: 900 });

    expect((await sendJson(`/v1/plans/${plan.id}`, "PATCH", { active: false }, admin.headers)).status).toBe(200);
    expect((await catalogue()).map((p) => p.id)).not.toContain(plan.id);
    expect((await call(`/v1/plans/${plan.id}`)).status).toBe(404);
    expect(await json(await get(`/v1/plans/${plan.id}`, admin.headers))).toMatchObject({ active: false });
  });
});
