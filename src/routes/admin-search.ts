import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env";
import { auditInsert } from "../lib/audit/writer";
import { enqueueStatements } from "../lib/queue";
import { presentJob } from "../lib/queue/present";
import { indexDrift } from "../lib/search/consistency";
import { requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { operationsOf } from "../openapi/describe";
import { jobSchema } from "../openapi/schemas/job";
import { indexDriftSchema } from "../openapi/schemas/search";

const describe = operationsOf("Admin: search");

/** The search index for operators: how far it is from the tables, and rebuilding it. */
export const adminSearchRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }), requireRole("admin"))
  .get(
    "/status",
    describe({
      summary: "Compare the search index with its tables",
      description:
        "Per kind: live rows, live documents, rows without a document, documents older than their row, documents whose row is gone.",
      responses: { 200: ["The drift", z.object({ data: z.array(indexDriftSchema) })] },
    }),
    requireScope("admin:read"),
    async (c) => c.json({ data: await indexDrift(c.var.d1) }),
  )
  .post(
    "/reindex",
    describe({
      summary: "Rebuild the search index from the tables",
      description: "A job on the indexing queue, with progress (GET /v1/jobs/:id). While one waits, asking again returns it.",
      responses: { 202: ["The rebuild job", jobSchema] },
    }),
    requireScope("admin:write"),
    async (c) => {
      const db = c.var.db;
      const job = enqueueStatements(db, "index.rebuild", {}, { coalesceKey: "index:rebuild", ownerId: c.var.auth?.userId ?? null });
      await db.batch([...job.statements, auditInsert(c, { action: "admin.action", metadata: { action: "search.reindex" } })]);
      c.executionCtx.waitUntil(job.send(c.env));
      const carrier = await job.carrierId();
      const row = await db.query.jobs.findFirst({ where: (jobs, { eq }) => eq(jobs.id, carrier) });
      return c.json(presentJob(row!), 202);
    },
  );
