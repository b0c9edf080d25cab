import type { Hono } from "hono";
import type { AppEnv } from "../env";
import { adminAuditLogRoutes } from "./admin-audit-logs";
import { adminErrorRoutes } from "./admin-errors";
import { adminMetricRoutes } from "./admin-metrics";
import { adminRateLimitRoutes } from "./admin-rate-limits";
import { adminUserRoutes } from "./admin-users";
import { adminQuestionRoutes } from "./admin-questions";
import { apiKeyRoutes } from "./api-keys";
import { attemptRoutes } from "./attempts";
import { couponRoutes } from "./coupons";
import { authRoutes } from "./auth";
import { adminQueueRoutes } from "./admin-queues";
import { uploadRoutes } from "./uploads";
import { analyticsRoutes } from "./analytics";
import { healthRoutes } from "./health";
import { jobRoutes } from "./jobs";
import { meRoutes } from "./me";
import { plannerRoutes } from "./planner";
import { planRoutes } from "./plans";
import { questionRoutes } from "./questions";
import { subscriptionRoutes } from "./subscriptions";
import { testRoutes } from "./tests";

/** Every route group, mounted in one place so the app's surface reads top to bottom. */
export function registerRoutes(app: Hono<AppEnv>): void {
  app.route("/", healthRoutes);
  app.route("/", authRoutes);
  app.route("/", meRoutes);
  app.route("/", apiKeyRoutes);
  app.route("/", adminUserRoutes);
  app.route("/", adminAuditLogRoutes);
  app.route("/", adminErrorRoutes);
  app.route("/", adminRateLimitRoutes);
  app.route("/", adminMetricRoutes);
  app.route("/", questionRoutes);
  app.route("/", adminQuestionRoutes);
  app.route("/", testRoutes);
  app.route("/", attemptRoutes);
  app.route("/", jobRoutes);
  app.route("/", adminQueueRoutes);
  app.route("/", analyticsRoutes);
  app.route("/", planRoutes);
  app.route("/", couponRoutes);
  app.route("/", subscriptionRoutes);
  app.route("/", plannerRoutes);
  app.route("/", uploadRoutes);
}
