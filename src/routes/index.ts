import type { Hono } from "hono";
import type { AppEnv } from "../env";
import { adminAuditLogRoutes } from "./admin-audit-logs";
import { adminCacheRoutes } from "./admin-cache";
import { adminErrorRoutes } from "./admin-errors";
import { adminEventRoutes } from "./admin-events";
import { adminMetricRoutes } from "./admin-metrics";
import { adminQuestionRoutes } from "./admin-questions";
import { adminQueueRoutes } from "./admin-queues";
import { adminRateLimitRoutes } from "./admin-rate-limits";
import { adminSecurityEventRoutes } from "./admin-security-events";
import { adminUserRoutes } from "./admin-users";
import { analyticsRoutes } from "./analytics";
import { apiKeyRoutes } from "./api-keys";
import { attemptRoutes, myAttemptRoutes, testAttemptRoutes } from "./attempts";
import { authRoutes } from "./auth";
import { couponRoutes } from "./coupons";
import { healthRoutes } from "./health";
import { jobRoutes } from "./jobs";
import { meRoutes } from "./me";
import { plannerRoutes } from "./planner";
import { planRoutes } from "./plans";
import { questionRoutes } from "./questions";
import { subscriptionRoutes } from "./subscriptions";
import { testRoutes } from "./tests";
import { uploadRoutes } from "./uploads";
import { webhookRoutes } from "./webhooks";

/**
 * Every route group, mounted at its prefix in one place so the app's surface reads top to bottom. A
 * group's shared middleware is `.use("*", …)`, which Hono registers as `<prefix>/*`: it matches the
 * prefix itself and everything below it, once per request. A group that lives below another group's
 * prefix (a test's attempts, a user's own attempts) is mounted after that group and runs under its
 * middleware; it adds none of its own.
 */
export function registerRoutes(app: Hono<AppEnv>): void {
  app.route("/health", healthRoutes);
  app.route("/v1/auth", authRoutes);
  app.route("/v1/me", meRoutes);
  app.route("/v1/me", myAttemptRoutes);
  app.route("/v1/api-keys", apiKeyRoutes);
  app.route("/v1/questions", questionRoutes);
  app.route("/v1/tests", testRoutes);
  app.route("/v1/tests", testAttemptRoutes);
  app.route("/v1/tests", analyticsRoutes);
  app.route("/v1/attempts", attemptRoutes);
  app.route("/v1/jobs", jobRoutes);
  app.route("/v1/plans", planRoutes);
  app.route("/v1/coupons", couponRoutes);
  app.route("/v1/subscriptions", subscriptionRoutes);
  app.route("/v1/planner", plannerRoutes);
  app.route("/v1/uploads", uploadRoutes);
  app.route("/v1/webhooks", webhookRoutes);
  app.route("/v1/admin/users", adminUserRoutes);
  app.route("/v1/admin/audit-logs", adminAuditLogRoutes);
  app.route("/v1/admin/errors", adminErrorRoutes);
  app.route("/v1/admin/metrics", adminMetricRoutes);
  app.route("/v1/admin/rate-limits", adminRateLimitRoutes);
  app.route("/v1/admin/questions", adminQuestionRoutes);
  app.route("/v1/admin", adminQueueRoutes);
  app.route("/v1/admin/security-events", adminSecurityEventRoutes);
  app.route("/v1/admin/cache", adminCacheRoutes);
  app.route("/v1/admin/events", adminEventRoutes);
}
