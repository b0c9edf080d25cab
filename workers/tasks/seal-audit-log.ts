import { sealClosedPeriods } from "../../src/lib/audit/seal";
import type { CronTask } from "../cron";

/** Every tick: seals each closed hour of the audit trail into the SHA-256 chain. */
export const sealAuditLogTask: CronTask = {
  name: "seal-audit-log",
  run: ({ env, now }) => sealClosedPeriods(env.DB, now),
};
