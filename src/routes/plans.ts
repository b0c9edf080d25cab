import { asc, eq } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { auditInsert } from "../lib/audit/writer";
import { presentPlan } from "../lib/billing/pricing";
import { cache, cacheContext, cacheKey, invalidationStatement } from "../lib/cache";
import { clock } from "../lib/clock";
import { ApiError } from "../lib/errors";
import { newId } from "../lib/ids";
import { sanitizeRichText } from "../lib/security/sanitize";
import { planInput, planPatch } from "../lib/validation/billing";
import { validate } from "../lib/validation/validate";
import { requireRole, requireScope } from "../middleware/auth";
import { rateLimit } from "../middleware/rate-limit";
import { plans, type Plan } from "../db/schema";
import type { AppEnv } from "../env";
import { operationsOf } from "../openapi/describe";
import { planSchema } from "../openapi/schemas/billing";
import { z } from "zod";

const adminOnly = [requireScope("admin:write"), requireRole("admin")] as const;

const cleanDescription = (text: string | null | undefined) => (text ? sanitizeRichText(text) || null : null);

const isAdminCaller = (c: Context<AppEnv>) => c.get("auth")?.role === "admin";

const describe = operationsOf("Billing");

/** Every cached plan read (the catalogue, with or without inactive plans, and each plan). */
const PLANS_TAG = "plans";
const PLANS_CACHE = { ttlMs: 60 * 60_000, tags: [PLANS_TAG] };

/** The catalogue is public (a pricing page needs no account); inactive plans are visible to admins only. */
export const planRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))
  .get(
    "/",
    describe({
      summary: "The plan catalogue (public)",
      description: "Active plans, cheapest first; admins may add `?includeInactive=true`.",
      responses: { 200: ["The plans", z.object({ data: z.array(planSchema) })] },
    }),
    async (c) => {
      const all = isAdminCaller(c) && c.req.query("includeInactive") === "true";
      const key = cacheKey("plans:list", { scope: all ? "all" : "active" });
      const catalogue = await cache.getOrSet(cacheContext(c), key, PLANS_CACHE, async () => {
        const rows = await c.var.db
          .select()
          .from(plans)
          .where(all ? undefined : eq(plans.active, true))
          .orderBy(asc(plans.priceCents), asc(plans.id))
          .limit(200);
        return { data: rows.map(presentPlan) };
      });
      return c.json(catalogue);
    },
  )
  .get(
    "/:id",
    describe({ summary: "Read a plan (public)", responses: { 200: ["The plan", planSchema] }, errors: ["not_found"] }),
    async (c) => {
      const id = c.req.param("id");
      const plan = await cache.getOrSet(cacheContext(c), cacheKey("plan", { id }), PLANS_CACHE, async () => {
        const row = await c.var.db.query.plans.findFirst({ where: eq(plans.id, id) });
        if (!row) throw ApiError.notFound("plan");
        return presentPlan(row);
      });
      // Cached for everyone; an inactive plan is shown to admins only.
      if (!plan.active && !isAdminCaller(c)) throw ApiError.notFound("plan");
      return c.json(plan);
    },
  )
  .post(
    "/",
    describe({ summary: "Create a plan (admins)", responses: { 201: ["The plan", planSchema] } }),
    ...adminOnly,
    validate("json", planInput),
    async (c) => {
      const input = c.req.valid("json");
      const now = clock.now();
      const plan: Plan = {
        id: newId("plan", now),
        ...input,
        description: cleanDescription(input.description),
        createdAt: now,
        updatedAt: now,
      };
      const db = c.var.db;
      const [bumped] = await db.batch([
        invalidationStatement(db, [PLANS_TAG]),
        db.insert(plans).values(plan),
        auditInsert(c, { action: "plan.created", target: { type: "plan", id: plan.id }, after: presentPlan(plan) }),
      ]);
      cache.tagsInvalidated(bumped);
      return c.json(presentPlan(plan), 201, { Location: `/v1/plans/${plan.id}` });
    },
  )
  .patch(
    "/:id",
    describe({ summary: "Edit a plan (admins)", responses: { 200: ["The plan", planSchema] }, errors: ["not_found"] }),
    ...adminOnly,
    validate("json", planPatch),
    async (c) => {
      const existing = await c.var.db.query.plans.findFirst({ where: eq(plans.id, c.req.param("id")) });
      if (!existing) throw ApiError.notFound("plan");
      const patch = c.req.valid("json");
      const updated: Plan = {
        ...existing,
        ...patch,
        description: patch.description === undefined ? existing.description : cleanDescription(patch.description),
        updatedAt: clock.now(),
      };
      const db = c.var.db;
      const [bumped] = await db.batch([
        invalidationStatement(db, [PLANS_TAG]),
        db.update(plans).set(updated).where(eq(plans.id, existing.id)),
        auditInsert(c, {
          action: "plan.updated",
          target: { type: "plan", id: existing.id },
          before: presentPlan(existing),
          after: presentPlan(updated),
        }),
      ]);
      cache.tagsInvalidated(bumped);
      return c.json(presentPlan(updated));
    },
  );
