import { loadConfig } from "../../src/config";
import { HOUR_MS } from "../../src/lib/clock";
import { FILE_AREAS } from "../../src/lib/storage/areas";
import { sweepArea, type AreaSweep } from "../../src/lib/storage/orphan-sweep";
import type { CronTask } from "../cron";

/**
 * Daily: in each declared area of the R2 bucket, deletes objects older than ORPHAN_FILE_GRACE_HOURS
 * that nothing refers to any more (an upload whose row is gone). Bounded per area per run.
 */
export const sweepOrphanFilesTask: CronTask = {
  name: "sweep-orphan-files",
  async run({ env, db, now }) {
    const graceMs = loadConfig(env).orphanFileGraceHours * HOUR_MS;
    const outcome: Record<string, AreaSweep> = {};
    for (const area of FILE_AREAS) outcome[area.prefix] = await sweepArea(db, env.FILES, area, now, { graceMs });
    return outcome;
  },
};
