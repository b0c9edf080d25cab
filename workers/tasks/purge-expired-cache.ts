import { deleteInChunks, type DeleteTarget } from "../../src/db/delete-in-chunks";
import type { CronTask } from "../cron";

export const EXPIRED_CACHE_ENTRIES: DeleteTarget = { table: "cache_entries", where: "expires_at < ?" };

export const purgeExpiredCache: CronTask = {
  name: "purge-expired-cache",
  // Every minute, so a smaller budget per tick: a backlog drains over the next ticks.
  run: ({ env, now }) => deleteInChunks(env.DB, EXPIRED_CACHE_ENTRIES, [now], { maxChunks: 20 }),
};
