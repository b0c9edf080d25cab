import { eq } from "drizzle-orm";
import { Hono } from "hono";
import { z } from "zod";
import { jobs } from "../db/schema";
import type { AppEnv } from "../env";
import { ApiError } from "../lib/errors";
import { presentJob } from "../lib/queue/present";
import { validate } from "../lib/validation/validate";
import { authOf, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { operationsOf } from "../openapi/describe";
import { jobSchema } from "../openapi/schemas/job";

const jobParam = z.object({ id: z.string().min(1).max(64) });

const describe = operationsOf("Jobs");

/** A background job's state for the user who started it (or an admin); to anyone else it does not exist. */
export const jobRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))
  .get(
    "/:id",
    describe({ summary: "Read a background job you started", responses: { 200: ["The job", jobSchema] }, errors: ["not_found"] }),
    requireScope("jobs:read"),
    validate("param", jobParam),
    async (c) => {
      const auth = authOf(c);
      const job = await c.var.db
        .select()
        .from(jobs)
        .where(eq(jobs.id, c.req.valid("param").id))
        .get();
      if (!job || (job.ownerId !== auth.userId && auth.role !== "admin")) throw ApiError.notFound("job");
      return c.json(presentJob(job));
    },
  );
