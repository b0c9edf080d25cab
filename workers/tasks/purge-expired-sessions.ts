import { lt, or } from "drizzle-orm";
import { sessions } from "../../src/db/schema";
import type { CronTask } from "../cron";

/** Sessions that expired or were revoked more than a day ago are of no further use. */
const GRACE_MS = 24 * 3600 * 1000;

export const purgeExpiredSessions: CronTask = {
  name: "purge-expired-sessions",
  async run({ db, now }) {
    const cutoff = now - GRACE_MS;
    const result = await db
      .delete(sessions)
      .where(or(lt(sessions.expiresAt, cutoff), lt(sessions.revokedAt, cutoff)));
    return { deleted: result.meta.changes };
  },
};
