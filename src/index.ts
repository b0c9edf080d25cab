import { createApp } from "./app";
import { handleQueue } from "../workers/queue";
import { handleScheduled } from "../workers/cron";
import type { Env } from "./env";
import { monitorQueue, monitorScheduled } from "./lib/monitoring/entry-points";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: monitorQueue(handleQueue),
  scheduled: monitorScheduled(handleScheduled),
} satisfies ExportedHandler<Env>;

export { RateLimiter } from "./durable-objects/rate-limiter";
/** The app's routes as a type, for typed clients: `hc<AppType>(baseUrl)` from `hono/client` (docs/api.md). */
export type { App as AppType } from "./app";
