import { lt } from "drizzle-orm";
import { cacheEntries } from "../../src/db/schema";
import type { CronTask } from "../cron";

export const purgeExpiredCache: CronTask = {
  name: "purge-expired-cache",
  async run({ db, now }) {
    const result = await db.delete(cacheEntries).where(lt(cacheEntries.expiresAt, now));
    return { deleted: result.meta.changes };
  },
};
