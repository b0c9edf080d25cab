import type { Hono } from "hono";
import type { AppEnv } from "../env";
import { apiKeyRoutes } from "./api-keys";
import { authRoutes } from "./auth";
import { healthRoutes } from "./health";
import { meRoutes } from "./me";

/** Every route group, mounted in one place so the app's surface reads top to bottom. */
export function registerRoutes(app: Hono<AppEnv>): void {
  app.route("/", healthRoutes);
  app.route("/", authRoutes);
  app.route("/", meRoutes);
  app.route("/", apiKeyRoutes);
}
