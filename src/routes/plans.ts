import { asc, eq } from "drizzle-orm";
import { Hono, type Context } from "hono";
import { auditInsert } from "../lib/audit/writer";
import { presentPlan } from "../lib/billing/pricing";
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

const adminOnly = [requireScope("admin:write"), requireRole("admin")] as const;

const cleanDescription = (text: string | null | undefined) => (text ? sanitizeRichText(text) || null : null);

const isAdminCaller = (c: Context<AppEnv>) => c.get("auth")?.role === "admin";

/** The catalogue is public (a pricing page needs no account); inactive plans are visible to admins only. */
export const planRoutes = new Hono<AppEnv>()
  .use("*", rateLimit({ policy: "api" }))
  .get("/", async (c) => {
    const all = isAdminCaller(c) && c.req.query("includeInactive") === "true";
    const rows = await c.var.db
      .select()
      .from(plans)
      .where(all ? undefined : eq(plans.active, true))
      .orderBy(asc(plans.priceCents), asc(plans.id))
      .limit(200);
    return c.json({ data: rows.map(presentPlan) });
  })
  .get("/:id", async (c) => {
    const plan = await c.var.db.query.plans.findFirst({ where: eq(plans.id, c.req.param("id")) });
    if (!plan || (!plan.active && !isAdminCaller(c))) throw ApiError.notFound("plan");
    return c.json(presentPlan(plan));
  })
  .post("/", ...adminOnly, validate("json", planInput), async (c) => {
    const input = c.req.valid("json");
    const now = clock.now();
    const plan: Plan = { id: newId("plan", now), ...input, description: cleanDescription(input.description), createdAt: now, updatedAt: now };
    await c.var.db.batch([
      c.var.db.insert(plans).values(plan),
      auditInsert(c, { action: "plan.created", target: { type: "plan", id: plan.id }, after: presentPlan(plan) }),
    ]);
    return c.json(presentPlan(plan), 201, { Location: `/v1/plans/${plan.id}` });
  })
  .patch("/:id", ...adminOnly, validate("json", planPatch), async (c) => {
    const existing = await c.var.db.query.plans.findFirst({ where: eq(plans.id, c.req.param("id")) });
    if (!existing) throw ApiError.notFound("plan");
    const patch = c.req.valid("json");
    const updated: Plan = { ...existing, ...patch, description: patch.description === undefined ? existing.description : cleanDescription(patch.description), updatedAt: clock.now() };
    await c.var.db.batch([
      c.var.db.update(plans).set(updated).where(eq(plans.id, existing.id)),
      auditInsert(c, { action: "plan.updated", target: { type: "plan", id: existing.id }, before: presentPlan(existing), after: presentPlan(updated) }),
    ]);
    return c.json(presentPlan(updated));
  });
