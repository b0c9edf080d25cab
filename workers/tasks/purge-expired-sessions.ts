import { deleteInChunks, type DeleteTarget } from "../../src/db/delete-in-chunks";
import { DAY_MS } from "../../src/lib/clock";
import type { CronTask } from "../cron";

/** Sessions that expired or were revoked more than a day ago are of no further use. */
const GRACE_MS = DAY_MS;

export const DEAD_SESSIONS: DeleteTarget = { table: "sessions", where: "expires_at < ?1 OR revoked_at < ?1" };

export const purgeExpiredSessions: CronTask = {
  name: "purge-expired-sessions",
  run: ({ env, now }) => deleteInChunks(env.DB, DEAD_SESSIONS, [now - GRACE_MS]),
};
