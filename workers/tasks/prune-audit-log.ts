import { loadConfig } from "../../src/config";
import { pruneAuditLog } from "../../src/lib/audit/retention";
import type { CronTask } from "../cron";

/** Daily: seals, then deletes audit rows of sealed periods older than AUDIT_RETENTION_DAYS. */
export const pruneAuditLogTask: CronTask = {
  name: "prune-audit-log",
  run: ({ env, now }) => pruneAuditLog(env.DB, now, loadConfig(env).auditRetentionDays),
};
