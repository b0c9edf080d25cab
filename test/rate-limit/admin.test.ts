import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { limiterName } from "../../src/lib/security/rate-limit";
import { createApiKey, createUser, type TestUser } from "../helpers/auth";
import { call, problemOf } from "../helpers/http";
import { envWith, limitedApp, uniqueKey } from "../helpers/rate-limit";

const bindings = envWith({
  RATE_LIMIT_POLICIES: JSON.stringify({
    search: {
      limit: 1,
      windowSeconds: 60,
      block: { breaches: 2, periodSeconds: 300, baseSeconds: 600, multiplier: 2, maxSeconds: 3600, resetAfterSeconds: 3600 },
    },
  }),
});

/** Breaches the `search` limit with `key` until it is blocked (limit 1, two breaches block for 10 min). */
async function blockKey(key: string) {
  const { request } = limitedApp({ policy: "search", key: () => key });
  const statuses: number[] = [];
  for (let i = 0; i < 3; i++) statuses.push((await request("/t/limited", {}, bindings)).status);
  expect(statuses).toEqual([200, 429, 429]);
}

interface Block {
  policy: string;
  key: string;
  keyKind: string;
  blockedUntil: string;
  level: number;
}

let admin: TestUser;
let student: TestUser;

beforeAll(async () => {
  admin = await createUser({ role: "admin" });
  student = await createUser();
});

describe("admin: rate-limit blocks and logs", () => {
  it("lists blocks in force with their level and end", async () => {
    const key = uniqueKey("ip");
    await blockKey(key);
    const res = await call(`/v1/admin/rate-limits/blocks?policy=search&keyKind=ip&limit=100`, { headers: admin.headers });
    expect(res.status).toBe(200);
    const { data } = (await res.json()) as { data: Block[] };
    const block = data.find((entry) => entry.key === key);
    expect(block).toMatchObject({ policy: "search", keyKind: "ip", level: 1 });
    expect(Date.parse(block!.blockedUntil)).toBeGreaterThan(clock.now() + 590_000);
  });

  it("unblocks a key: the limiter lets it through again, the log shows it ended, and it is audited", async () => {
    const key = uniqueKey("ip");
    await blockKey(key);
    const path = `/v1/admin/rate-limits/blocks/search/${encodeURIComponent(key)}`;
    const res = await call(path, { method: "DELETE", headers: admin.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ unblocked: { policy: "search", key, level: 1 } });

    const stub = env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(limiterName("search", key)));
    expect((await stub.blockState(clock.now())).blockedUntil).toBeNull();
    const list = (await (await call(`/v1/admin/rate-limits/blocks?policy=search&limit=100`, { headers: admin.headers })).json()) as {
      data: Block[];
    };
    expect(list.data.some((entry) => entry.key === key)).toBe(false);

    const audit = await env.DB.prepare("SELECT action, actor_id, target_type, target_id, changes FROM audit_logs WHERE target_id = ?")
      .bind(`search:${key}`)
      .first<{ action: string; actor_id: string; target_type: string; changes: string }>();
    expect(audit).toMatchObject({ action: "rate_limit.unblocked", actor_id: admin.user.id, target_type: "rate_limit_block" });

    clock.advance(61_000); // the one admitted unit leaves the window
    const { request } = limitedApp({ policy: "search", key: () => key });
    expect((await request("/t/limited", {}, bindings)).status).toBe(200);

    const again = await call(path, { method: "DELETE", headers: admin.headers });
    expect(again.status).toBe(404);
  });

  it("lists the breach log with filters, aggregated per key and window", async () => {
    const key = uniqueKey("user");
    await blockKey(key);
    const res = await call(`/v1/admin/rate-limits/logs?key=${encodeURIComponent(key)}&blocked=true`, { headers: admin.headers });
    expect(res.status).toBe(200);
    const { data, nextCursor } = (await res.json()) as { data: Record<string, unknown>[]; nextCursor: string | null };
    expect(nextCursor).toBeNull();
    expect(data).toHaveLength(1);
    expect(data[0]).toMatchObject({ policy: "search", keyKind: "user", key, breaches: 2, limit: 1, windowSeconds: 60, blockLevel: 1 });

    const none = await call(`/v1/admin/rate-limits/logs?key=${encodeURIComponent(key)}&blocked=false`, { headers: admin.headers });
    expect(((await none.json()) as { data: unknown[] }).data).toHaveLength(0);
  });

  it("pages through the log with a cursor", async () => {
    for (let i = 0; i < 3; i++) await blockKey(uniqueKey("email"));
    const first = (await (await call(`/v1/admin/rate-limits/logs?keyKind=email&limit=2`, { headers: admin.headers })).json()) as {
      data: { id: string }[];
      nextCursor: string;
    };
    expect(first.data).toHaveLength(2);
    const second = (await (
      await call(`/v1/admin/rate-limits/logs?keyKind=email&limit=2&cursor=${first.nextCursor}`, { headers: admin.headers })
    ).json()) as { data: { id: string }[] };
    expect(second.data.length).toBeGreaterThanOrEqual(1);
    expect(second.data.map((row) => row.id)).not.toContain(first.data[0]!.id);
  });

  it("refuses callers without admin scopes, and bad filters", async () => {
    expect((await call("/v1/admin/rate-limits/blocks")).status).toBe(401);
    const forbidden = await call("/v1/admin/rate-limits/logs", { headers: student.headers });
    expect((await problemOf(forbidden)).code).toBe("insufficient_scope");
    const readOnly = await createApiKey(admin.headers, { scopes: ["admin:read"] });
    expect((await call("/v1/admin/rate-limits/blocks", { headers: readOnly.headers })).status).toBe(200);
    const del = await call(`/v1/admin/rate-limits/blocks/search/${encodeURIComponent(uniqueKey())}`, {
      method: "DELETE",
      headers: readOnly.headers,
    });
    expect((await problemOf(del)).code).toBe("insufficient_scope");

    const badPolicy = await call(`/v1/admin/rate-limits/blocks/nope/ip%3A1.2.3.4`, { method: "DELETE", headers: admin.headers });
    expect((await problemOf(badPolicy)).code).toBe("validation_failed");
    const badFilter = await call(`/v1/admin/rate-limits/logs?blocked=maybe&from=yesterday`, { headers: admin.headers });
    const problem = await problemOf(badFilter);
    expect(problem.code).toBe("validation_failed");
    expect(problem.errors!.map((error) => error.path).sort()).toEqual(["blocked", "from"]);
  });
});
