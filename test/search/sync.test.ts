import { env } from "cloudflare:workers";
import { eq } from "drizzle-orm";
import { describe, expect, it, vi } from "vitest";
import { events, searchDocuments } from "../../src/db/schema";
import { searchSubscriber } from "../../src/lib/search/subscriber";
import { createUser } from "../helpers/auth";
import { call, sendJson } from "../helpers/http";
import { dispatcher } from "../events/helpers";
import { capturingEnv, deliver, jobRow } from "../jobs/helpers";
import { db, indexedQuestion, search, uniqueWord } from "./support";

describe("real-time sync through events and the indexing queue", () => {
  it("a question's created event becomes an index job that makes it findable", async () => {
    const author = await createUser({ role: "instructor" });
    const word = uniqueWord();
    const res = await sendJson(
      "/v1/questions",
      "POST",
      { type: "MCQ", body: `<p>${word}</p>`, options: ["a", "b"], correctOption: 0, subject: "Physics" },
      author.headers,
    );
    const question = (await res.json()) as { id: string };
    const event = (await db.select().from(events).where(eq(events.aggregateId, question.id)).get())!;
    const bindings = capturingEnv();
    await dispatcher([searchSubscriber], bindings).run(event.id);
    const indexJobs = bindings.sent.filter((message) => message.binding === "QUEUE_INDEXING");
    expect(indexJobs.map((message) => message.body.type)).toEqual(["index.question"]);
    await deliver(
      "indexing",
      indexJobs.map((message) => ({ body: message.body })),
      bindings.env,
    );
    expect((await jobRow(indexJobs[0]!.body.jobId)).status).toBe("COMPLETED");
    expect((await search(author, { q: word })).ids).toEqual([question.id]);
  });
});

describe("bulk import", () => {
  it("imported questions become searchable without an event each", async () => {
    const admin = await createUser({ role: "admin" });
    const word = uniqueWord();
    const res = await sendJson(
      "/v1/admin/questions/import",
      "POST",
      {
        questions: [0, 1].map((i) => ({
          type: "MCQ",
          body: `${word} imported ${i}`,
          options: ["a", "b"],
          correctOption: 0,
          subject: "Physics",
        })),
      },
      admin.headers,
    );
    expect(res.status, await res.clone().text()).toBe(201);
    const { ids } = (await res.json()) as { ids: string[] };
    const found = await vi.waitUntil(async () => {
      const hits = (await search(admin, { q: word })).ids;
      return hits.length === 2 ? hits : false;
    });
    expect(found.sort()).toEqual([...ids].sort());
  });
});

describe("rebuild and drift", () => {
  it("reindex rebuilds an emptied index, with progress, and the status shows no drift after", async () => {
    const admin = await createUser({ role: "admin" });
    const author = await createUser({ role: "instructor" });
    const word = uniqueWord();
    const q = await indexedQuestion(author, { body: `<p>${word}</p>` });
    await env.DB.prepare("DELETE FROM search_documents").run();
    expect((await search(admin, { q: word })).ids).toEqual([]);
    const drift = (await (await call("/v1/admin/search/status", { headers: admin.headers })).json()) as {
      data: { kind: string; missing: number }[];
    };
    expect(drift.data.find((row) => row.kind === "question")!.missing).toBeGreaterThan(0);

    const bindings = capturingEnv();
    const { testApp } = await import("../helpers/test-app");
    const started = await testApp().request("/v1/admin/search/reindex", { method: "POST", headers: admin.headers }, bindings.env);
    expect(started.status).toBe(202);
    const job = (await started.json()) as { id: string };
    await deliver("indexing", [{ body: { jobId: job.id, type: "index.rebuild" } }], bindings.env);
    const done = await jobRow(job.id);
    expect(done).toMatchObject({ status: "COMPLETED", progress: 100 });
    expect((await search(admin, { q: word })).ids).toEqual([q.id]);
    const after = (await (await call("/v1/admin/search/status", { headers: admin.headers })).json()) as {
      data: { missing: number; stale: number; orphaned: number }[];
    };
    for (const row of after.data) expect(row).toMatchObject({ missing: 0, stale: 0, orphaned: 0 });
    expect((await db.select().from(searchDocuments).where(eq(searchDocuments.resourceId, q.id)).get())!.deleted).toBe(false);
  });

  it("the admin routes are for admins", async () => {
    const student = await createUser();
    expect((await call("/v1/admin/search/status", { headers: student.headers })).status).toBe(403);
    expect((await call("/v1/admin/search/reindex", { method: "POST", headers: student.headers })).status).toBe(403);
  });
});
