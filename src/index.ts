import { createApp } from "./app";
import { handleQueue } from "../workers/queue";
import { handleScheduled } from "../workers/cron";
import type { Env } from "./env";

const app = createApp();

export default {
  fetch: app.fetch,
  queue: handleQueue,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>;

export { RateLimiter } from "./durable-objects/rate-limiter";
