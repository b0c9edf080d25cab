import { describe, expect, it } from "vitest";
import { createApiKey, createUser, uniqueEmail } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { auditRows, eventually, securityEvents } from "./support";

interface Page {
  data: { id: string; email: string; role: string; lastLoginAt: string | null }[];
  nextCursor: string | null;
}

const list = async (query: string, headers: Record<string, string>) => {
  const res = await call(`/v1/admin/users${query}`, { headers });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as Page;
};

describe("GET /v1/admin/users", () => {
  it("lists users newest first with cursor pagination", async () => {
    const admin = await createUser({ role: "admin" });
    await createUser();
    await createUser();
    const first = await list("?limit=2", admin.headers);
    expect(first.data).toHaveLength(2);
    expect(first.data[0]!.id > first.data[1]!.id).toBe(true);
    expect(first.nextCursor).not.toBeNull();
    const second = await list(`?limit=2&cursor=${first.nextCursor}`, admin.headers);
    expect(second.data[0]!.id < first.data[1]!.id).toBe(true);
    expect(JSON.stringify([first, second])).not.toMatch(/pbkdf2|passwordHash/);
  });

  it("filters by role and by part of the email or name, treating % and _ literally", async () => {
    const admin = await createUser({ role: "admin" });
    const tag = `zq${crypto.randomUUID().slice(0, 6)}`;
    const instructor = await createUser({ role: "instructor", email: uniqueEmail(`${tag}-inst`) });
    const student = await createUser({ email: uniqueEmail(`${tag}-stu`) });
    const instructors = await list(`?role=instructor&q=${tag}`, admin.headers);
    expect(instructors.data.map((user) => user.id)).toEqual([instructor.user.id]);
    const both = await list(`?q=${tag.toUpperCase()}`, admin.headers);
    expect(both.data.map((user) => user.id).sort()).toEqual([instructor.user.id, student.user.id].sort());
    expect((await list("?q=%25", admin.headers)).data).toEqual([]);
    expect((await list(`?q=${tag}_`, admin.headers)).data).toEqual([]);
  });

  it("filters by creation time", async () => {
    const admin = await createUser({ role: "admin" });
    const future = new Date(Date.now() + 3_600_000).toISOString();
    expect((await list(`?createdAfter=${encodeURIComponent(future)}`, admin.headers)).data).toEqual([]);
  });

  it("rejects bad filters", async () => {
    const admin = await createUser({ role: "admin" });
    for (const query of ["?role=superuser", "?limit=1000", "?cursor=!!!", `?q=${"x".repeat(101)}`, "?createdAfter=yesterday"]) {
      expect((await call(`/v1/admin/users${query}`, { headers: admin.headers })).status, query).toBe(400);
    }
  });

  it("is 403 for students and instructors, 401 without credentials", async () => {
    for (const role of ["student", "instructor"] as const) {
      const { headers } = await createUser({ role });
      const res = await call("/v1/admin/users", { headers });
      expect(res.status).toBe(403);
      expect(await problemOf(res)).toMatchObject({ code: "insufficient_scope", scope: "admin:read" });
    }
    expect((await call("/v1/admin/users")).status).toBe(401);
  });
});

describe("PATCH /v1/admin/users/:id", () => {
  it("changes the role, applies at once to the user's sessions, and audits before/after", async () => {
    const admin = await createUser({ role: "admin" });
    const target = await createUser();
    expect((await call("/v1/admin/users", { headers: target.headers })).status).toBe(403);

    const res = await sendJson(`/v1/admin/users/${target.user.id}`, "PATCH", { role: "admin", reason: "new staff" }, admin.headers);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { user: { role: string } }).user.role).toBe("admin");
    expect((await call("/v1/admin/users", { headers: target.headers })).status).toBe(200);

    const [row] = await auditRows({ action: "user.role_changed", targetId: target.user.id });
    expect(row).toMatchObject({ status: "SUCCESS", actor_id: admin.user.id });
    expect(JSON.parse(row!.changes!)).toEqual({ before: { role: "student" }, after: { role: "admin" } });
    expect(JSON.parse(row!.metadata!)).toEqual({ reason: "new staff" });
  });

  it("refuses non-admins, including a student trying to promote themselves", async () => {
    const student = await createUser();
    const res = await sendJson(`/v1/admin/users/${student.user.id}`, "PATCH", { role: "admin" }, student.headers);
    expect(res.status).toBe(403);
    const me = (await (await call("/v1/me", { headers: student.headers })).json()) as { user: { role: string } };
    expect(me.user.role).toBe("student");
    const events = await eventually(async () => {
      const rows = await securityEvents("privilege_escalation_attempt", student.user.id);
      expect(rows.length).toBeGreaterThan(0);
      return rows;
    });
    expect(JSON.parse(events[0]!.details)).toMatchObject({ scope: "admin:write" });
  });

  it("refuses an admin changing their own role, and audits the attempt", async () => {
    const admin = await createUser({ role: "admin" });
    const res = await sendJson(`/v1/admin/users/${admin.user.id}`, "PATCH", { role: "student" }, admin.headers);
    expect(res.status).toBe(403);
    const [row] = await auditRows({ action: "user.role_changed", targetId: admin.user.id });
    expect(row!.status).toBe("FAILURE");
  });

  it("answers 404 for an unknown user and 400 for a bad role, id or extra field", async () => {
    const admin = await createUser({ role: "admin" });
    const target = await createUser();
    expect((await sendJson("/v1/admin/users/usr_01ABCDEFGHJKMNPQRSTVWXYZ00", "PATCH", { role: "admin" }, admin.headers)).status).toBe(404);
    expect((await sendJson(`/v1/admin/users/${target.user.id}`, "PATCH", { role: "root" }, admin.headers)).status).toBe(400);
    expect((await sendJson(`/v1/admin/users/${target.user.id}`, "PATCH", { role: "admin", email: "x@y.z" }, admin.headers)).status).toBe(
      400,
    );
    expect((await sendJson("/v1/admin/users/not-an-id", "PATCH", { role: "admin" }, admin.headers)).status).toBe(400);
  });

  it("an admin's API key needs admin:write for role changes", async () => {
    const admin = await createUser({ role: "admin" });
    const target = await createUser();
    const readOnly = await createApiKey(admin.headers, { scopes: ["admin:read"] });
    const res = await sendJson(`/v1/admin/users/${target.user.id}`, "PATCH", { role: "instructor" }, readOnly.headers);
    expect(res.status).toBe(403);
    expect((await problemOf(res)).scope).toBe("admin:write");
    const writer = await createApiKey(admin.headers, { scopes: ["admin:write"] });
    expect((await sendJson(`/v1/admin/users/${target.user.id}`, "PATCH", { role: "instructor" }, writer.headers)).status).toBe(200);
    const [row] = await auditRows({ action: "user.role_changed", targetId: target.user.id });
    expect(row).toMatchObject({ actor_type: "api_key", api_key_id: writer.id, actor_id: admin.user.id });
  });
});
