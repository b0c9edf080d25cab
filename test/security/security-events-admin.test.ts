import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { newId } from "../../src/lib/ids";
import { createApiKey, createUser, type TestUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";

interface EventBody {
  id: string;
  type: string;
  severity: string;
  status: string;
  actorId: string | null;
  ip: string | null;
  location: { country: string | null; city: string | null; latitude: number | null; longitude: number | null };
  details: Record<string, unknown>;
  resolutionNote: string | null;
  updatedBy: string | null;
  createdAt: string;
  updatedAt: string;
  history?: { at: string; by: string; from: string; to: string; note: string }[];
}

/** A stored event, as a detector would have written it. */
async function seedEvent(fields: { type?: string; severity?: string; status?: string; createdAt?: number; ip?: string } = {}) {
  const createdAt = fields.createdAt ?? clock.now();
  const id = newId("securityEvent", createdAt);
  await env.DB.prepare(
    `INSERT INTO security_events (id, type, severity, status, actor_id, ip, country, city, latitude, longitude, details, created_at, updated_at)
     VALUES (?, ?, ?, ?, 'usr_target', ?, 'DE', 'Berlin', 52.52, 13.405, '{"failures":7}', ?, ?)`,
  )
    .bind(
      id,
      fields.type ?? "brute_force",
      fields.severity ?? "HIGH",
      fields.status ?? "OPEN",
      fields.ip ?? "203.0.113.9",
      createdAt,
      createdAt,
    )
    .run();
  return id;
}

let admin: TestUser;
let student: TestUser;

beforeAll(async () => {
  admin = await createUser({ role: "admin" });
  student = await createUser();
});

const list = async (query: string) => {
  const res = await call(`/v1/admin/security-events${query}`, { headers: admin.headers });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { data: EventBody[]; nextCursor: string | null };
};

describe("GET /v1/admin/security-events", () => {
  it("lists newest first with filters by type, severity, status and time", async () => {
    const base = Date.parse("2031-03-01T00:00:00Z");
    const ip = "198.51.100.77";
    const a = await seedEvent({ type: "impossible_travel", severity: "HIGH", createdAt: base, ip });
    const b = await seedEvent({ type: "impossible_travel", severity: "CRITICAL", createdAt: base + 1000, ip });
    const c = await seedEvent({ type: "impossible_travel", severity: "HIGH", status: "RESOLVED", createdAt: base + 2000, ip });

    const all = await list(`?ip=${ip}`);
    expect(all.data.map((e) => e.id)).toEqual([c, b, a]);
    expect(all.data[0]).toMatchObject({
      type: "impossible_travel",
      location: { country: "DE", city: "Berlin", latitude: 52.52 },
      details: { failures: 7 },
    });

    expect((await list(`?ip=${ip}&severity=CRITICAL`)).data.map((e) => e.id)).toEqual([b]);
    expect((await list(`?ip=${ip}&status=RESOLVED`)).data.map((e) => e.id)).toEqual([c]);
    expect((await list(`?ip=${ip}&type=brute_force`)).data).toEqual([]);
    const from = new Date(base + 500).toISOString();
    const to = new Date(base + 1500).toISOString();
    expect((await list(`?ip=${ip}&from=${from}&to=${to}`)).data.map((e) => e.id)).toEqual([b]);
  });

  it("pages with a cursor, with no gaps or repeats", async () => {
    const ip = "198.51.100.78";
    const base = Date.parse("2031-04-01T00:00:00Z");
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.unshift(await seedEvent({ createdAt: base + i * 10, ip }));
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await list(`?ip=${ip}&limit=2${cursor ? `&cursor=${cursor}` : ""}`);
      seen.push(...page.data.map((e) => e.id));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
  });

  it("rejects bad filters with a validation problem", async () => {
    for (const query of [
      "?severity=NUCLEAR",
      "?type=nope",
      "?from=yesterday",
      "?limit=1000",
      "?cursor=%%%",
      "?from=2031-01-02T00:00:00Z&to=2031-01-01T00:00:00Z",
    ]) {
      const res = await call(`/v1/admin/security-events${query}`, { headers: admin.headers });
      expect(res.status, query).toBe(400);
      expect((await problemOf(res)).code).toBe("validation_failed");
    }
  });

  it("is for admins only", async () => {
    expect((await call("/v1/admin/security-events")).status).toBe(401);
    const res = await call("/v1/admin/security-events", { headers: student.headers });
    expect(res.status).toBe(403);
    expect((await problemOf(res)).code).toBe("insufficient_scope");
  });
});

describe("GET /v1/admin/security-events/:id", () => {
  it("returns one event", async () => {
    const id = await seedEvent({ type: "credential_stuffing" });
    const res = await call(`/v1/admin/security-events/${id}`, { headers: admin.headers });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id, type: "credential_stuffing", status: "OPEN", history: [] });
  });

  it("answers 404 for unknown ids and 400 for malformed ones", async () => {
    expect((await call(`/v1/admin/security-events/${newId("securityEvent")}`, { headers: admin.headers })).status).toBe(404);
    expect((await call("/v1/admin/security-events/usr_01JD0000000000000000000000", { headers: admin.headers })).status).toBe(400);
  });
});

describe("PATCH /v1/admin/security-events/:id", () => {
  const patch = (id: string, body: unknown, headers: Record<string, string> = admin.headers) =>
    sendJson(`/v1/admin/security-events/${id}`, "PATCH", body, headers);

  it("moves an event through triage, recording who, when and why", async () => {
    const id = await seedEvent();
    const first = await patch(id, { status: "INVESTIGATING", note: "Looking at the source IP" });
    expect(first.status, await first.clone().text()).toBe(200);
    expect(await first.json()).toMatchObject({
      status: "INVESTIGATING",
      resolutionNote: "Looking at the source IP",
      updatedBy: admin.user.id,
    });

    clock.advance(60_000);
    const second = await patch(id, { status: "FALSE_POSITIVE", note: "Our own load test" });
    expect(second.status).toBe(200);

    const detail = (await (await call(`/v1/admin/security-events/${id}`, { headers: admin.headers })).json()) as EventBody;
    expect(detail.status).toBe("FALSE_POSITIVE");
    expect(detail.history).toHaveLength(2);
    expect(detail.history![0]).toMatchObject({ by: admin.user.id, from: "OPEN", to: "INVESTIGATING", note: "Looking at the source IP" });
    expect(detail.history![1]).toMatchObject({ by: admin.user.id, from: "INVESTIGATING", to: "FALSE_POSITIVE", note: "Our own load test" });
    expect(Date.parse(detail.history![1]!.at) - Date.parse(detail.history![0]!.at)).toBeGreaterThanOrEqual(60_000);

    const audit = await env.DB.prepare(
      "SELECT actor_id, status, ip, request_id FROM audit_logs WHERE action = 'security_event.updated' AND target_id = ? ORDER BY created_at",
    )
      .bind(id)
      .all();
    expect(audit.results).toHaveLength(2);
    expect(audit.results[0]).toMatchObject({ actor_id: admin.user.id, status: "SUCCESS" });
  });

  it("can reopen a closed event for investigation, but not skip straight from closed to closed", async () => {
    const id = await seedEvent({ status: "RESOLVED" });
    const bad = await patch(id, { status: "FALSE_POSITIVE", note: "Changed my mind" });
    expect(bad.status).toBe(409);
    const problem = await problemOf(bad);
    expect(problem.code).toBe("conflict");
    expect(problem.currentStatus).toBe("RESOLVED");
    expect((await patch(id, { status: "INVESTIGATING", note: "New evidence" })).status).toBe(200);
  });

  it("answers 409 when setting the status it already has", async () => {
    const id = await seedEvent({ status: "INVESTIGATING" });
    expect((await patch(id, { status: "INVESTIGATING", note: "again" })).status).toBe(409);
  });

  it("lets only one of two racing admins win, with exactly one audit row", async () => {
    const id = await seedEvent();
    const other = await createUser({ role: "admin" });
    const results = await Promise.all([
      patch(id, { status: "RESOLVED", note: "first" }),
      patch(id, { status: "FALSE_POSITIVE", note: "second" }, other.headers),
    ]);
    const statuses = results.map((res) => res.status).sort();
    expect(statuses).toEqual([200, 409]);
    const audit = await env.DB.prepare("SELECT count(*) AS n FROM audit_logs WHERE action = 'security_event.updated' AND target_id = ?")
      .bind(id)
      .first<{ n: number }>();
    expect(audit!.n).toBe(1);
  });

  it("validates the body strictly", async () => {
    const id = await seedEvent();
    for (const body of [
      { status: "OPEN", note: "x" },
      { status: "RESOLVED" },
      { status: "RESOLVED", note: "" },
      { status: "RESOLVED", note: "x".repeat(2001) },
      { status: "RESOLVED", note: "ok", severity: "LOW" },
    ]) {
      const res = await patch(id, body);
      expect(res.status, JSON.stringify(body)).toBe(400);
    }
    const row = await env.DB.prepare("SELECT status, severity FROM security_events WHERE id = ?").bind(id).first();
    expect(row).toEqual({ status: "OPEN", severity: "HIGH" });
  });

  it("needs admin:write; a key with only admin:read can look but not change", async () => {
    const id = await seedEvent();
    const reader = await createApiKey(admin.headers, { scopes: ["admin:read"] });
    expect((await call(`/v1/admin/security-events/${id}`, { headers: reader.headers })).status).toBe(200);
    const res = await patch(id, { status: "RESOLVED", note: "x" }, reader.headers);
    expect(res.status).toBe(403);
    expect((await patch(id, { status: "RESOLVED", note: "x" }, student.headers)).status).toBe(403);
  });

  it("answers 404 for an unknown event", async () => {
    expect((await patch(newId("securityEvent"), { status: "RESOLVED", note: "x" })).status).toBe(404);
  });
});
