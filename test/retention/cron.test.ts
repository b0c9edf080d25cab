import { describe, expect, it } from "vitest";
import { CRON_TASKS, RETENTION_CRON } from "../../workers/cron";
import { runRetention } from "./support";

describe("the daily retention cron", () => {
  it("runs every retention task and names each in its outcome, none failing", async () => {
    const outcome = await runRetention();
    expect(Object.keys(outcome)).toEqual([
      "purge-expired-sessions",
      "prune-metrics",
      "prune-audit-log",
      "prune-rate-limit-logs",
      "prune-error-logs",
      "prune-finished-jobs",
      "prune-processed-events",
      "sweep-orphan-files",
      "prune-email",
    ]);
    expect(Object.keys(outcome)).toEqual(CRON_TASKS[RETENTION_CRON]!.map((task) => task.name));
    for (const [task, result] of Object.entries(outcome)) expect(result, task).not.toHaveProperty("error");
  });
});
