import { lt, sql } from "drizzle-orm";
import { loginFailures, securityCounters } from "../../src/db/schema";
import type { CronTask } from "../cron";

/** Failed logins older than this no longer feed any detector window (the audit trail keeps the record). */
const LOGIN_FAILURE_RETENTION_MS = 24 * 3600 * 1000;
/** Rows deleted per run, so a minute's task stays short even after a large credential-stuffing run. */
const BATCH = 5000;

/** Drops detector state that has aged out: old login failures and expired action counters. */
export const purgeSecuritySignals: CronTask = {
  name: "purge-security-signals",
  async run({ db, now }) {
    const cutoff = now - LOGIN_FAILURE_RETENTION_MS;
    const [failures, counters] = await db.batch([
      db
        .delete(loginFailures)
        .where(
          sql`${loginFailures.id} IN (SELECT ${loginFailures.id} FROM ${loginFailures} WHERE ${loginFailures.createdAt} < ${cutoff} LIMIT ${BATCH})`,
        ),
      db.delete(securityCounters).where(lt(securityCounters.expiresAt, now)),
    ]);
    return { loginFailures: failures.meta.changes, counters: counters.meta.changes };
  },
};
