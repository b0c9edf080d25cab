import { and, eq, inArray } from "drizzle-orm";
import { ZodError } from "zod";
import { loadConfig } from "../src/config";
import { dataExports, users } from "../src/db/schema";
import { clock } from "../src/lib/clock";
import { ApiError } from "../src/lib/errors";
import { EXPORT_CATALOGUE } from "../src/lib/exports/catalogue";
import { markCompleted, markFailed } from "../src/lib/exports/complete";
import { attachment } from "../src/lib/exports/formats";
import { ExportFileWriter } from "../src/lib/exports/file-writer";
import { ExportCancelled, type ExportRun } from "../src/lib/exports/run";
import type { JobPayload } from "../src/lib/queue/job-types";
import { EXPORTS_PREFIX } from "../src/lib/storage/areas";
import { PermanentJobError, type JobHandler } from "./job-handler";

/** How often a running export looks for its owner's cancellation (and reports progress): once a second at most. */
const CHECK_INTERVAL_MS = 1000;

/** Where an export's file lives in R2 (the `exports/` area, src/lib/storage/areas.ts). */
const exportFileKey = (ownerId: string, exportId: string, filename: string) => `${EXPORTS_PREFIX}${ownerId}/${exportId}/${filename}`;

/**
 * `export.run`: claims the export, checks again that its owner may still have it, writes the file to
 * R2 as it is produced, and records the outcome with its event. A cancellation seen mid-way, or any
 * failure, aborts the upload: nothing is left behind. Errors the owner caused (access lost, bad
 * parameters) fail at once; others retry, and fail the export on the last attempt.
 */
export const exportJob: JobHandler<JobPayload<"export.run">> = async ({ env, db, logger, job, payload, attempt, progress }) => {
  const row = await db.select().from(dataExports).where(eq(dataExports.id, payload.exportId)).get();
  if (!row) throw new PermanentJobError("the export no longer exists");
  const now = clock.now();
  const [claimed] = await db
    .update(dataExports)
    .set({ status: "RUNNING", startedAt: row.startedAt ?? now, error: null, updatedAt: now })
    .where(and(eq(dataExports.id, row.id), inArray(dataExports.status, ["QUEUED", "RUNNING"])))
    .returning();
  if (!claimed) return { skipped: row.status };
  const requester = await db.select({ id: users.id, role: users.role }).from(users).where(eq(users.id, row.ownerId)).get();
  if (!requester) throw new PermanentJobError("the export's owner no longer exists");

  const kind = EXPORT_CATALOGUE[row.kind];
  const file = new ExportFileWriter(env.FILES, exportFileKey(row.ownerId, row.id, row.filename), {
    contentType: row.contentType,
    contentDisposition: attachment(row.filename),
  });
  let lastCheck = 0;
  const run: ExportRun = {
    env,
    db,
    d1: env.DB,
    row: claimed,
    requester,
    write: (chunk) => file.write(chunk),
    async progress(done, total, message) {
      const at = clock.now();
      if (at - lastCheck < CHECK_INTERVAL_MS) return;
      lastCheck = at;
      const current = await db.select({ status: dataExports.status }).from(dataExports).where(eq(dataExports.id, row.id)).get();
      if (current?.status !== "RUNNING") throw new ExportCancelled();
      await progress(total > 0 ? Math.min(99, Math.floor((done / total) * 100)) : 0, message);
    },
  };

  try {
    const params = kind.params.parse(row.params);
    await kind.authorize(db, requester, params);
    const rowCount = await kind.write(run, params);
    const sizeBytes = await file.close();
    const completed = await markCompleted(
      db,
      claimed,
      { key: file.key, sizeBytes, rowCount },
      loadConfig(env).exports.retentionDays,
      clock.now(),
    );
    if (!completed.applied) {
      await env.FILES.delete(file.key);
      return { cancelled: true };
    }
    await completed.send(env);
    return { sizeBytes, rowCount };
  } catch (error) {
    await file.abort();
    if (error instanceof ExportCancelled) return { cancelled: true };
    // What the owner can act on is said as it is; anything else stays in the logs.
    const ownersFault = error instanceof ApiError || error instanceof ZodError;
    if (ownersFault || attempt >= job.maxAttempts) {
      const message = ownersFault ? (error as Error).message : "The export could not be produced; please try again.";
      const failed = await markFailed(db, claimed, message, clock.now());
      await failed.send(env);
      if (ownersFault) throw new PermanentJobError(message);
    }
    logger.error("export failed", { exportId: row.id, attempt, error: String(error) });
    throw error;
  }
};
