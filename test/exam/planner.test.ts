import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { createUser, type TestUser } from "../helpers/auth";
import { call, problemOf, sendJson } from "../helpers/http";
import { get, json } from "./fixtures";

let student: TestUser;
let otherStudent: TestUser;

beforeAll(async () => {
  [student, otherStudent] = await Promise.all([createUser(), createUser()]);
});

const at = (hoursFromBase: number) => new Date(Date.UTC(2026, 10, 1, 8) + hoursFromBase * 3600_000).toISOString();

async function createGoal(headers: Record<string, string>, body: Record<string, unknown> = {}) {
  const res = await sendJson(
    "/v1/planner/goals",
    "POST",
    { title: "Finish mechanics", subject: "Physics", targetDate: "2026-12-31", targetHours: 10, ...body },
    headers,
  );
  expect(res.status, await res.clone().text()).toBe(201);
  return json(res);
}

async function logSession(headers: Record<string, string>, body: Record<string, unknown>) {
  const res = await sendJson("/v1/planner/sessions", "POST", body, headers);
  expect(res.status, await res.clone().text()).toBe(201);
  return json(res);
}

describe("study planner", () => {
  it("tracks progress per goal from finished sessions", async () => {
    const goal = await createGoal(student.headers);
    expect(goal.progress).toEqual({ hoursLogged: 0, sessions: 0, targetHours: 10, percent: 0, achieved: false });
    await logSession(student.headers, { startedAt: at(0), endedAt: at(2), goalId: goal.id, subject: "Physics", notes: "Kinematics" });
    await logSession(student.headers, { startedAt: at(24), endedAt: at(25.5), goalId: goal.id });
    const running = await logSession(student.headers, { startedAt: at(48), goalId: goal.id });
    expect(running.endedAt).toBeNull();
    let read = await json(await get(`/v1/planner/goals/${goal.id}`, student.headers));
    expect(read.progress).toEqual({ hoursLogged: 3.5, sessions: 2, targetHours: 10, percent: 35, achieved: false });

    const ended = await sendJson(`/v1/planner/sessions/${running.id}`, "PATCH", { endedAt: at(55) }, student.headers);
    expect((await json(ended)).durationMinutes).toBe(420);
    read = await json(await get(`/v1/planner/goals/${goal.id}`, student.headers));
    expect(read.progress).toMatchObject({ hoursLogged: 10.5, percent: 100, achieved: true });
    const list = await json(await get("/v1/planner/goals", student.headers));
    expect(list.data.find((g: { id: string }) => g.id === goal.id).progress.hoursLogged).toBe(10.5);
  });

  it("filters sessions by goal and time, and deletes goals without losing sessions", async () => {
    const goal = await createGoal(student.headers, { title: "Organic chemistry" });
    const s1 = await logSession(student.headers, { startedAt: at(100), endedAt: at(101), goalId: goal.id });
    await logSession(student.headers, { startedAt: at(200), endedAt: at(201) });
    const byGoal = await json(await get(`/v1/planner/sessions?goalId=${goal.id}`, student.headers));
    expect(byGoal.data.map((s: { id: string }) => s.id)).toEqual([s1.id]);
    const inWindow = await json(
      await get(`/v1/planner/sessions?from=${encodeURIComponent(at(150))}&to=${encodeURIComponent(at(250))}`, student.headers),
    );
    expect(inWindow.data).toHaveLength(1);
    expect((await call(`/v1/planner/goals/${goal.id}`, { method: "DELETE", headers: student.headers })).status).toBe(204);
    expect((await json(await get(`/v1/planner/sessions/${s1.id}`, student.headers))).goalId).toBeNull();
  });

  it("audits every planner change against its owner", async () => {
    const goal = await createGoal(student.headers, { title: "Audited goal" });
    await sendJson(`/v1/planner/goals/${goal.id}`, "PATCH", { targetHours: 12 }, student.headers);
    const session = await logSession(student.headers, { startedAt: at(300), endedAt: at(301), goalId: goal.id });
    await sendJson(`/v1/planner/sessions/${session.id}`, "PATCH", { notes: "Revised" }, student.headers);
    await call(`/v1/planner/sessions/${session.id}`, { method: "DELETE", headers: student.headers });
    await call(`/v1/planner/goals/${goal.id}`, { method: "DELETE", headers: student.headers });
    const { results } = await env.DB.prepare("SELECT action, actor_id, changes FROM audit_logs WHERE target_id IN (?, ?) ORDER BY id")
      .bind(goal.id, session.id)
      .all<{ action: string; actor_id: string; changes: string }>();
    expect(results.map((row) => row.action)).toEqual([
      "planner.goal_created",
      "planner.goal_updated",
      "planner.session_created",
      "planner.session_updated",
      "planner.session_deleted",
      "planner.goal_deleted",
    ]);
    expect(results.every((row) => row.actor_id === student.user.id)).toBe(true);
    expect(JSON.parse(results[1]!.changes)).toMatchObject({ before: { targetHours: 10 }, after: { targetHours: 12 } });
  });

  it("refuses bad spans, unknown fields and other users' goals", async () => {
    const theirGoal = await createGoal(otherStudent.headers);
    const cases: Record<string, unknown>[] = [
      { startedAt: at(2), endedAt: at(1) },
      { startedAt: at(0), endedAt: at(25) },
      { startedAt: "yesterday" },
      { startedAt: at(0), userId: otherStudent.user.id },
    ];
    for (const body of cases)
      expect((await sendJson("/v1/planner/sessions", "POST", body, student.headers)).status, JSON.stringify(body)).toBe(400);
    const foreign = await sendJson("/v1/planner/sessions", "POST", { startedAt: at(0), goalId: theirGoal.id }, student.headers);
    expect((await problemOf(foreign)).errors![0]!.path).toBe("goalId");
    expect(
      (await sendJson("/v1/planner/goals", "POST", { title: "x", targetDate: "2026-12-31", targetHours: 0 }, student.headers)).status,
    ).toBe(400);
    const mine = await logSession(student.headers, { startedAt: at(300), endedAt: at(301) });
    expect((await sendJson(`/v1/planner/sessions/${mine.id}`, "PATCH", { endedAt: at(299) }, student.headers)).status).toBe(400);
  });

  it("keeps goals and sessions private: another user gets 404", async () => {
    const goal = await createGoal(student.headers);
    const session = await logSession(student.headers, { startedAt: at(0), endedAt: at(1), goalId: goal.id });
    expect((await get(`/v1/planner/goals/${goal.id}`, otherStudent.headers)).status).toBe(404);
    expect((await sendJson(`/v1/planner/goals/${goal.id}`, "PATCH", { title: "mine" }, otherStudent.headers)).status).toBe(404);
    expect((await call(`/v1/planner/goals/${goal.id}`, { method: "DELETE", headers: otherStudent.headers })).status).toBe(404);
    expect((await get(`/v1/planner/sessions/${session.id}`, otherStudent.headers)).status).toBe(404);
    expect((await call(`/v1/planner/sessions/${session.id}`, { method: "DELETE", headers: otherStudent.headers })).status).toBe(404);
    const theirs = await json(await get("/v1/planner/sessions", otherStudent.headers));
    expect(theirs.data.map((s: { id: string }) => s.id)).not.toContain(session.id);
    expect((await get("/v1/planner/goals", {})).status).toBe(401);
  });
});
