import type { Hono } from "hono";
import type { AppEnv } from "../env";
import { healthRoutes } from "./health";

/** Every route group, mounted in one place so the app's surface reads top to bottom. */
export function registerRoutes(app: Hono<AppEnv>): void {
  app.route("/", healthRoutes);
}
