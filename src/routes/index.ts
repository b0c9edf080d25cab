import type { Hono } from "hono";
import type { AppEnv } from "../env";
import { adminAuditLogRoutes } from "./admin-audit-logs";
import { aiRoutes } from "./ai";
import { adminAiUsageRoutes, myAiUsageRoutes } from "./ai-usage";
import { accountEmailRoutes, myEmailRoutes } from "./account-email";
import { adminCacheRoutes } from "./admin-cache";
import { adminEmailTemplateRoutes, adminMailboxRoutes, adminSuppressionRoutes } from "./admin-email";
import { adminErrorRoutes } from "./admin-errors";
import { adminEventRoutes } from "./admin-events";
import { adminMetricRoutes } from "./admin-metrics";
import { adminQuestionRoutes } from "./admin-questions";
import { adminSearchRoutes } from "./admin-search";
import { adminQueueRoutes } from "./admin-queues";
import { adminRateLimitRoutes } from "./admin-rate-limits";
import { adminSecurityEventRoutes } from "./admin-security-events";
import { adminUserRoutes } from "./admin-users";
import { analyticsRoutes } from "./analytics";
import { apiKeyRoutes } from "./api-keys";
import { attemptRoutes, myAttemptRoutes, testAttemptRoutes } from "./attempts";
import { authRoutes } from "./auth";
import { contractRoutes } from "./contract";
import { couponRoutes } from "./coupons";
import { devMailboxRoutes } from "./dev-mailbox";
import { emailRoutes } from "./email";
import { exportRoutes } from "./exports";
import { healthRoutes } from "./health";
import { jobRoutes } from "./jobs";
import { meRoutes } from "./me";
import { notificationRoutes } from "./notifications";
import { plannerRoutes } from "./planner";
import { planRoutes } from "./plans";
import { questionRoutes } from "./questions";
import { searchRoutes } from "./search";
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
 *
 * The calls are chained so the returned app's type carries every route (`AppType`, for `hc` clients);
 * the contract routes come last.
 */
export function registerRoutes(app: Hono<AppEnv>) {
  return app
    .route("/health", healthRoutes)
    .route("/v1/auth", authRoutes)
    .route("/v1/auth", accountEmailRoutes)
    .route("/v1/me", meRoutes)
    .route("/v1/me", myAttemptRoutes)
    .route("/v1/me", myEmailRoutes)
    .route("/v1/me/notifications", notificationRoutes)
    .route("/v1/me/ai-usage", myAiUsageRoutes)
    .route("/v1/email", emailRoutes)
    .route("/v1/api-keys", apiKeyRoutes)
    .route("/v1/questions", questionRoutes)
    .route("/v1/search", searchRoutes)
    .route("/v1/tests", testRoutes)
    .route("/v1/tests", testAttemptRoutes)
    .route("/v1/tests", analyticsRoutes)
    .route("/v1/attempts", attemptRoutes)
    .route("/v1/jobs", jobRoutes)
    .route("/v1/exports", exportRoutes)
    .route("/v1/ai", aiRoutes)
    .route("/v1/plans", planRoutes)
    .route("/v1/coupons", couponRoutes)
    .route("/v1/subscriptions", subscriptionRoutes)
    .route("/v1/planner", plannerRoutes)
    .route("/v1/uploads", uploadRoutes)
    .route("/v1/webhooks", webhookRoutes)
    .route("/v1/admin/users", adminUserRoutes)
    .route("/v1/admin/audit-logs", adminAuditLogRoutes)
    .route("/v1/admin/ai-usage", adminAiUsageRoutes)
    .route("/v1/admin/errors", adminErrorRoutes)
    .route("/v1/admin/metrics", adminMetricRoutes)
    .route("/v1/admin/rate-limits", adminRateLimitRoutes)
    .route("/v1/admin/questions", adminQuestionRoutes)
    .route("/v1/admin", adminQueueRoutes)
    .route("/v1/admin/security-events", adminSecurityEventRoutes)
    .route("/v1/admin/cache", adminCacheRoutes)
    .route("/v1/admin/events", adminEventRoutes)
    .route("/v1/admin/search", adminSearchRoutes)
    .route("/v1/admin/mailbox", adminMailboxRoutes)
    .route("/v1/admin/email-suppressions", adminSuppressionRoutes)
    .route("/v1/admin/email-templates", adminEmailTemplateRoutes)
    .route("/dev/mailbox", devMailboxRoutes)
    .route("/", contractRoutes);
}
