import { env } from "cloudflare:workers";
import { and, eq } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { dataExports, events, jobs } from "../../src/db/schema";
import { loadConfig } from "../../src/config";
import { clock } from "../../src/lib/clock";
import { createUser } from "../helpers/auth";
import { problemOf } from "../helpers/http";
import { createCast, createFullTest, startAttempt } from "../exam/fixtures";
import { Logger } from "../../src/lib/logger";
import { expireExports } from "../../workers/tasks/expire-exports";
import { failAbandonedExports } from "../../workers/tasks/fail-abandoned-exports";
import { exportJob } from "../../workers/exports";
import { jsonInit } from "../email/helpers";
import { db, exportHarness, exportRow } from "./helpers";

/** A completed question-bank export of a fresh instructor, and a signed link to it. */
async function finishedExport() {
  const harness = exportHarness();
  const owner = await createUser({ role: "instructor" });
  const row = await harness.produce(owner, { kind: "question_bank", format: "csv" });
  expect(row.status).toBe("COMPLETED");
  const linkRes = await harness.request(`/v1/exports/${row.id}/download-link`, { method: "POST", headers: owner.headers });
  const { url } = (await linkRes.json()) as { url: string };
  const link = new URL(url);
  return { harness, owner, row, link };
}

describe("object-level access", () => {
  it("another user's export does not exist for them: read, link, cancel, delete", async () => {
    const { harness, row } = await finishedExport();
    const stranger = await createUser({ role: "instructor" });
    for (const [path, method] of [
      [`/v1/exports/${row.id}`, "GET"],
      [`/v1/exports/${row.id}/download-link`, "POST"],
      [`/v1/exports/${row.id}`, "DELETE"],
    ] as const) {
      const res = await harness.request(path, { method, headers: stranger.headers });
      expect(res.status, `${method} ${path}`).toBe(404);
    }
    const list = (await (await harness.request("/v1/exports", { headers: stranger.headers })).json()) as { data: unknown[] };
    expect(list.data).toEqual([]);
    expect((await exportRow(row.id)).status).toBe("COMPLETED");
  });

  it("an admin can read another user's export and get a link", async () => {
    const { harness, row } = await finishedExport();
    const admin = await createUser({ role: "admin" });
    expect((await harness.request(`/v1/exports/${row.id}`, { headers: admin.headers })).status).toBe(200);
    expect((await harness.request(`/v1/exports/${row.id}/download-link`, { method: "POST", headers: admin.headers })).status).toBe(201);
  });

  it("an instructor cannot export another instructor's test; a student cannot export someone else's attempt", async () => {
    const harness = exportHarness();
    const { instructor, otherInstructor, student, otherStudent } = await createCast();
    const { test } = await createFullTest(instructor.headers);
    for (const kind of ["test_results", "test_analytics"]) {
      const format = kind === "test_results" ? "csv" : "pdf";
      const res = await harness.requestExport(otherInstructor, { kind, format, params: { testId: test.id } });
      expect(res.status).toBe(404);
    }
    const attempt = await startAttempt(student.headers, test.id);
    const res = await harness.requestExport(otherStudent, {
      kind: "attempt_result_card",
      format: "pdf",
      params: { attemptId: attempt.id },
    });
    expect(res.status).toBe(404);
    // The taker's own card of a running attempt is refused too: it would show the test while it runs.
    const own = await harness.requestExport(student, { kind: "attempt_result_card", format: "pdf", params: { attemptId: attempt.id } });
    expect((await problemOf(own)).code).toBe("conflict");
    expect(await db.$count(dataExports, eq(dataExports.ownerId, otherStudent.user.id))).toBe(0);
  });

  it("students cannot export test results, users or the audit trail", async () => {
    const harness = exportHarness();
    const student = await createUser();
    for (const body of [
      { kind: "users", format: "csv" },
      { kind: "audit_logs", format: "csv" },
      { kind: "question_bank", format: "csv" },
    ]) {
      const res = await harness.requestExport(student, body);
      expect((await problemOf(res)).code, body.kind).toBe("forbidden");
    }
  });
});

describe("signed download links", () => {
  it("EXPORT_LINK_SECRET is required in staging and production, at least 32 characters", async () => {
    const deployed = {
      ...env,
      ENVIRONMENT: "staging",
      DEVICE_TOKEN_SECRET: "d".repeat(32),
      EMAIL_LINK_SECRET: "e".repeat(32),
      WEBHOOK_ALLOW_LOOPBACK: "false",
    };
    expect(() => loadConfig(deployed as never)).toThrow(/EXPORT_LINK_SECRET/);
    expect(() => loadConfig({ ...deployed, EXPORT_LINK_SECRET: "short" } as never)).toThrow(/EXPORT_LINK_SECRET/);
    expect(loadConfig({ ...deployed, EXPORT_LINK_SECRET: "s".repeat(32) } as never).exports.linkSecret).toBe("s".repeat(32));
  });

  it("works without credentials, once per link's lifetime; a changed id, expiry or signature is refused", async () => {
    const { harness, link, row, owner } = await finishedExport();
    expect((await harness.request(link.pathname + link.search)).status).toBe(200);

    const tampered = new URL(link);
    tampered.searchParams.set("expires", String(Number(link.searchParams.get("expires")) + 60_000));
    expect((await problemOf(await harness.request(tampered.pathname + tampered.search))).code).toBe("forbidden");

    const badSignature = new URL(link);
    const signature = link.searchParams.get("signature")!;
    badSignature.searchParams.set("signature", (signature[0] === "A" ? "B" : "A") + signature.slice(1));
    expect((await harness.request(badSignature.pathname + badSignature.search)).status).toBe(403);

    // Another export of the same owner: the first export's signature does not open it.
    const other = await harness.produce(owner, { kind: "question_bank", format: "json" });
    const swapped = `/v1/exports/${other.id}/download${link.search}`;
    expect((await harness.request(swapped)).status).toBe(403);
    expect(row.id).not.toBe(other.id);
  });

  it("an expired link is refused with 410, and a new one works", async () => {
    const { harness, link, owner, row } = await finishedExport();
    clock.advance(11 * 60_000);
    const res = await harness.request(link.pathname + link.search);
    expect(res.status).toBe(410);
    expect((await problemOf(res)).code).toBe("gone");
    const fresh = await harness.download(owner, row.id);
    expect(fresh.status).toBe(200);
  });

  it("no link for an export that is not complete", async () => {
    const harness = exportHarness();
    const owner = await createUser({ role: "instructor" });
    const res = await harness.requestExport(owner, { kind: "question_bank", format: "csv" });
    const { id } = (await res.json()) as { id: string };
    const link = await harness.request(`/v1/exports/${id}/download-link`, { method: "POST", headers: owner.headers });
    expect((await problemOf(link)).code).toBe("conflict");
  });
});

describe("cancel, delete and expiry", () => {
  it("cancelling a waiting export cancels its job; the job then writes nothing", async () => {
    const harness = exportHarness();
    const owner = await createUser({ role: "instructor" });
    const { id } = (await (await harness.requestExport(owner, { kind: "question_bank", format: "csv" })).json()) as { id: string };
    expect((await harness.request(`/v1/exports/${id}`, { method: "DELETE", headers: owner.headers })).status).toBe(204);
    await harness.runJobs();
    const row = await exportRow(id);
    expect(row).toMatchObject({ status: "CANCELLED", fileKey: null });
    expect((await db.select().from(jobs).where(eq(jobs.id, row.jobId)).get())?.status).toBe("CANCELLED");
  });

  it("cancelling a running export stops it at its next page and leaves no file", async () => {
    const harness = exportHarness();
    const admin = await createUser({ role: "admin" });
    const subject = `Many-${crypto.randomUUID().slice(0, 8)}`;
    const questions = Array.from({ length: 300 }, (_, i) => ({ type: "INTEGER", body: `Question ${i}`, answer: i, subject }));
    for (let round = 0; round < 2; round++) {
      const imported = await harness.request("/v1/admin/questions/import", jsonInit("POST", { questions }, admin.headers));
      expect(imported.status).toBe(201);
    }
    const { id } = (await (await harness.requestExport(admin, { kind: "question_bank", format: "json", params: { subject } })).json()) as {
      id: string;
    };
    const queued = await exportRow(id);
    const job = (await db.select().from(jobs).where(eq(jobs.id, queued.jobId)).get())!;
    let reports = 0;
    const outcome = await exportJob({
      env: harness.bindings.env,
      db,
      logger: new Logger({}, "error"),
      job,
      payload: { exportId: id },
      attempt: 1,
      // The first page is written: the owner cancels now, and a second passes before the next page.
      async progress() {
        reports++;
        expect((await harness.request(`/v1/exports/${id}`, { method: "DELETE", headers: admin.headers })).status).toBe(204);
        clock.advance(2000);
      },
    });
    expect(outcome).toEqual({ cancelled: true });
    expect(reports).toBe(1);
    const row = await exportRow(id);
    expect(row).toMatchObject({ status: "CANCELLED", fileKey: null, sizeBytes: null });
    const listed = await env.FILES.list({ prefix: `exports/${admin.user.id}/${id}/` });
    expect(listed.objects).toEqual([]);
  });

  it("deleting a finished export removes its file and its row", async () => {
    const { harness, owner, row, link } = await finishedExport();
    expect(await env.FILES.head(row.fileKey!)).not.toBeNull();
    expect((await harness.request(`/v1/exports/${row.id}`, { method: "DELETE", headers: owner.headers })).status).toBe(204);
    expect(await env.FILES.head(row.fileKey!)).toBeNull();
    expect((await harness.request(`/v1/exports/${row.id}`, { headers: owner.headers })).status).toBe(404);
    expect((await harness.request(link.pathname + link.search)).status).toBe(404);
  });

  it("an export whose job died without it (dead-lettered) is failed by the maintenance tick, with its event", async () => {
    const harness = exportHarness();
    const owner = await createUser({ role: "instructor" });
    const { id } = (await (await harness.requestExport(owner, { kind: "question_bank", format: "csv" })).json()) as { id: string };
    const queued = await exportRow(id);
    await db.update(dataExports).set({ status: "RUNNING" }).where(eq(dataExports.id, id));
    await db.update(jobs).set({ status: "FAILED", error: "dead-lettered" }).where(eq(jobs.id, queued.jobId));
    expect(await failAbandonedExports.run({ env, db, logger: new Logger({}, "error"), now: Date.now() })).toEqual({ failed: 1 });
    expect(await exportRow(id)).toMatchObject({ status: "FAILED", error: expect.stringContaining("stopped") });
    const failed = await db
      .select()
      .from(events)
      .where(and(eq(events.aggregateId, id), eq(events.type, "export.failed")))
      .all();
    expect(failed).toHaveLength(1);
    expect((await harness.requestExport(owner, { kind: "question_bank", format: "csv" })).status).toBe(202);
  });

  it("the expiry task deletes files past their retention and marks them expired", async () => {
    const { harness, owner, row } = await finishedExport();
    expect(row.expiresAt! - row.completedAt!).toBe(7 * 24 * 3_600_000);
    await expireExports.run({ env, db, logger: new Logger({}, "error"), now: row.expiresAt! + 1 });
    const expired = await exportRow(row.id);
    expect(expired).toMatchObject({ status: "EXPIRED", fileKey: null });
    expect(await env.FILES.head(row.fileKey!)).toBeNull();
    const link = await harness.request(`/v1/exports/${row.id}/download-link`, { method: "POST", headers: owner.headers });
    expect((await problemOf(link)).code).toBe("gone");
  });
});
