import { and, eq, lte } from "drizzle-orm";
import { inList } from "../../src/db/in-list";
import { dataExports } from "../../src/db/schema";
import type { CronTask } from "../cron";

/** Expired files deleted per tick: one R2 batch delete (it takes up to 1,000 keys). */
const BATCH = 500;

/**
 * Every minute: completed exports past their expiry lose their file and become EXPIRED. Download
 * links already refuse them at `expires_at`; this frees the storage.
 */
export const expireExports: CronTask = {
  name: "expire-exports",
  async run({ env, db, now }) {
    const due = await db
      .select({ id: dataExports.id, fileKey: dataExports.fileKey })
      .from(dataExports)
      .where(and(eq(dataExports.status, "COMPLETED"), lte(dataExports.expiresAt, now)))
      .limit(BATCH);
    if (due.length === 0) return { expired: 0 };
    const keys = due.flatMap((row) => (row.fileKey ? [row.fileKey] : []));
    if (keys.length > 0) await env.FILES.delete(keys);
    await db
      .update(dataExports)
      .set({ status: "EXPIRED", fileKey: null, updatedAt: now })
      .where(
        and(
          inList(
            dataExports.id,
            due.map((row) => row.id),
          ),
          eq(dataExports.status, "COMPLETED"),
        ),
      );
    return { expired: due.length };
  },
};
