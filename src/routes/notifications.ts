import { Hono } from "hono";
import { z } from "zod";
import type { AppEnv } from "../env";
import { auditInsert } from "../lib/audit/writer";
import { preferencesOf, setPreferencesStatement } from "../lib/email/preferences";
import { notificationsPatch } from "../lib/validation/email";
import { validate } from "../lib/validation/validate";
import { authOf, requireScope } from "../middleware/auth";
import { operationsOf } from "../openapi/describe";

const describe = operationsOf("Me");

const preferencesSchema = z
  .object({
    resultReady: z.boolean().meta({ description: "A test's result is ready (default on)" }),
    subjectiveGraded: z.boolean().meta({ description: "A grader marked a written answer (default on)" }),
    weeklySummary: z.boolean().meta({ description: "The Monday study summary (default off: opt in)" }),
  })
  .meta({ id: "NotificationPreferences" });

/** Mounted at /v1/me/notifications (under the profile routes' auth and rate limit). Account and security mail cannot be turned off. */
export const notificationRoutes = new Hono<AppEnv>()
  .get(
    "/",
    describe({ summary: "Your email notification preferences", responses: { 200: ["The preferences", preferencesSchema] } }),
    requireScope("profile:read"),
    async (c) => c.json(await preferencesOf(c.var.db, authOf(c).userId)),
  )
  .patch(
    "/",
    describe({ summary: "Change your email notification preferences", responses: { 200: ["The preferences", preferencesSchema] } }),
    requireScope("profile:write"),
    validate("json", notificationsPatch),
    async (c) => {
      const changes = c.req.valid("json");
      const userId = authOf(c).userId;
      const db = c.var.db;
      const before = await preferencesOf(db, userId);
      const after = { ...before, ...changes };
      await db.batch([
        setPreferencesStatement(db, userId, before, changes),
        auditInsert(c, { action: "user.notifications_updated", target: { type: "user", id: userId }, before, after }),
      ]);
      return c.json(after);
    },
  );
