import { describe, expect, it } from "vitest";
import { createUser } from "../helpers/auth";
import { call } from "../helpers/http";
import { BOOKMARK_SHAPE, replicated } from "./support";

const json = (headers: Record<string, string>) => ({ ...headers, "Content-Type": "application/json" });

describe("D1 read replication on", () => {
  it("starts reads on any replica and writes on the primary, and returns the session's bookmark", async () => {
    const { headers } = await createUser();
    const read = await replicated("/v1/me", { headers });
    expect(read.res.status).toBe(200);
    expect(read.opened).toEqual(["first-unconstrained"]);
    expect(read.bookmark).toMatch(BOOKMARK_SHAPE);

    const write = await replicated("/v1/me", { method: "PATCH", headers: json(headers), body: JSON.stringify({ bio: "aiming for 99" }) });
    expect(write.res.status).toBe(200);
    expect(write.opened).toEqual(["first-primary"]);
    expect(write.bookmark).toMatch(BOOKMARK_SHAPE);
  });

  it("continues from the bookmark a client sends, so it reads its own write", async () => {
    const { headers } = await createUser({ name: "Before" });
    const first = await replicated("/v1/me", { headers });
    const write = await replicated("/v1/me", {
      method: "PATCH",
      headers: { ...json(headers), "X-D1-Bookmark": first.bookmark! },
      body: JSON.stringify({ name: "After" }),
    });
    expect(write.res.status).toBe(200);
    expect(write.opened).toEqual([first.bookmark]);
    // The write ran through the session (Drizzle over it), so the session moved past where it began.
    expect(write.bookmark! > first.bookmark!).toBe(true);

    const read = await replicated("/v1/me", { headers: { ...headers, "X-D1-Bookmark": write.bookmark! } });
    expect(read.opened).toEqual([write.bookmark]);
    expect(((await read.res.json()) as { user: { name: string } }).user.name).toBe("After");
    expect(read.bookmark! >= write.bookmark!).toBe(true);
  });

  it("serves the raw-SQL admin routes (metrics, audit search) over the session too", async () => {
    const admin = await createUser({ role: "admin" });
    for (const path of ["/v1/admin/metrics/names", "/v1/admin/audit-logs?limit=5"]) {
      const { res, opened, bookmark } = await replicated(path, { headers: admin.headers });
      expect(res.status, path).toBe(200);
      expect(opened).toEqual(["first-unconstrained"]);
      expect(bookmark).toMatch(BOOKMARK_SHAPE);
    }
  });

  it("carries the bookmark on error responses and lets browsers send and read it (CORS)", async () => {
    const { bookmark } = await replicated("/v1/me", { headers: (await createUser()).headers });
    const missing = await replicated("/v1/tests/tst_00000000000000000000000000", { headers: { "X-D1-Bookmark": bookmark! } });
    expect(missing.res.status).toBeGreaterThanOrEqual(400);
    expect(missing.bookmark! >= bookmark!).toBe(true);

    const origin = "http://localhost:5173";
    const preflight = await replicated("/v1/me", {
      method: "OPTIONS",
      headers: { Origin: origin, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization, x-d1-bookmark" },
    });
    expect(preflight.res.headers.get("Access-Control-Allow-Headers")?.toLowerCase()).toContain("x-d1-bookmark");
    const actual = await replicated("/v1/me", { headers: { Origin: origin, "X-D1-Bookmark": bookmark! } });
    expect(actual.res.headers.get("Access-Control-Expose-Headers")?.toLowerCase()).toContain("x-d1-bookmark");
    expect(actual.bookmark).toBe(bookmark);
  });
});

describe("D1 read replication off (the default)", () => {
  it("opens no session and sends no bookmark, whatever the client sends", async () => {
    const { headers } = await createUser();
    const { bookmark: valid } = await replicated("/v1/me", { headers });
    const off = await replicated("/v1/me", { headers: { ...headers, "X-D1-Bookmark": valid! } }, "off");
    expect(off.res.status).toBe(200);
    expect(off.opened).toEqual([]);
    expect(off.bookmark).toBeNull();

    const plain = await call("/v1/me", { headers });
    expect(plain.status).toBe(200);
    expect(plain.headers.has("X-D1-Bookmark")).toBe(false);
  });
});
