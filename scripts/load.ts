/**
 * `npm run load -- --scenario <browse|take-test|storm|api-keys> [--url <base>] [--duration s] [--rate n]
 * [--max-p99-ms n] [--max-error-rate 1%] [--min-rps n] [--max-scored-ms n] [--max-all-scored-ms n] …`
 *
 * Bounded open-model load tests: arrivals at a constant rate for a fixed time, then the run waits for
 * what is in flight and stops. Without --url it starts its own local server (wrangler dev on a
 * snapshot of the project, fresh state, seeded world); with --url it loads a deployed environment with
 * the credentials given (--token / PROCTOR_LOAD_TOKEN, --students-file). Prints latency percentiles,
 * throughput, answers by status and problem code, and exits 1 when a threshold or a scenario's
 * check fails (2 on a usage error). docs/operations.md, "Load testing", lists every option.
 */
import { pathToFileURL } from "node:url";
import { apiKeys } from "./load/api-keys";
import { browse } from "./load/browse";
import { LoadClient } from "./load/client";
import { parseLoadArgs, UsageError, type ScenarioName } from "./load/options";
import { Recorder } from "./load/recorder";
import { printReport } from "./load/report";
import type { Scenario } from "./load/scenario";
import { storm } from "./load/storm";
import { openTarget } from "./load/target";
import { takeTest } from "./load/take-test";
import { evaluateThresholds } from "./load/thresholds";

const SCENARIOS: Record<ScenarioName, Scenario> = { browse, "take-test": takeTest, storm, "api-keys": apiKeys };

async function main(): Promise<number> {
  let options: ReturnType<typeof parseLoadArgs>;
  try {
    options = parseLoadArgs(process.argv.slice(2), process.env);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    console.error(`npm run load: ${error.message}`);
    return 2;
  }
  const startedAt = performance.now();
  const log = (line: string) => console.error(`[${((performance.now() - startedAt) / 1000).toFixed(1)} s] ${line}`);
  const scenario = SCENARIOS[options.scenario];
  const target = await openTarget(options, options.studentsFile ? 0 : scenario.students(options), log);
  try {
    const setupRecorder = new Recorder();
    const setup = new LoadClient(target.baseUrl, setupRecorder, options.timeoutMs);
    const runId = Date.now().toString(36);
    log(`Running ${scenario.name}: ${options.rate} ${scenario.arrival}/s for ${options.durationSeconds} s…`);
    const run = await scenario.run({ options, target, setup, runId, log });
    const preparation = setupRecorder.summary();
    log(`Done. Setup and monitoring requests (not measured): ${preparation.requests}, ${preparation.errors} unexpected.`);
    const summary = run.recorder.summary();
    const verdicts = evaluateThresholds(summary, options.thresholds);
    const where = target.local ? `a local server (${target.baseUrl}, wrangler dev)` : target.baseUrl;
    printReport(options, where, scenario.arrival, run, summary, verdicts, target.runtimeErrors());
    if (options.json) {
      const shown = { ...options, token: options.token ? "[redacted]" : null };
      console.log(
        JSON.stringify({
          scenario: scenario.name,
          options: shown,
          arrivals: run.arrivals,
          summary,
          verdicts,
          problems: run.problems ?? [],
        }),
      );
    }
    return verdicts.some((v) => !v.passed) || (run.problems?.length ?? 0) > 0 ? 1 : 0;
  } finally {
    await target.stop();
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) process.exitCode = await main();
