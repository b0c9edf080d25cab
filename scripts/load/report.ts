import { printTable, type Row } from "../../bench/lib/table";
import type { LoadOptions } from "./options";
import type { LatencySummary, RunSummary } from "./recorder";
import type { ScenarioRun } from "./scenario";
import type { Verdict } from "./thresholds";

const ms = (value: number) => Math.round(value);
const shown = (verdict: Verdict, value: number) =>
  Number.isNaN(value) ? "not measured" : verdict.name === "error rate" ? `${(value * 100).toFixed(2)} %` : ms(value);
const latencyColumns = (l: LatencySummary) => ({ count: l.count, p50: ms(l.p50), p90: ms(l.p90), p99: ms(l.p99), max: ms(l.max) });

/** The run's tables: arrivals, latency by request, non-2xx answers, measures, the scenario's own, thresholds. */
export function printReport(
  options: LoadOptions,
  where: string,
  arrival: string,
  run: ScenarioRun,
  summary: RunSummary,
  verdicts: Verdict[],
  runtimeErrors: number,
): void {
  const { arrivals } = run;
  console.log(`\n=== load: ${options.scenario} against ${where} ===`);
  console.log(
    `Open model: ${options.rate} ${arrival}/s for ${options.durationSeconds} s — ${arrivals.planned} planned, ${arrivals.started} started, ` +
      `${arrivals.dropped} dropped (over --max-in-flight ${options.maxInFlight}), generator lag at most ${ms(arrivals.maxLagMs)} ms`,
  );
  console.log(
    `Requests: ${summary.requests} in ${summary.seconds.toFixed(1)} s = ${summary.rps.toFixed(1)}/s; ` +
      `unexpected answers ${summary.errors} (${(summary.errorRate * 100).toFixed(2)} %)` +
      (runtimeErrors ? `; the local runtime reported ${runtimeErrors} errors` : ""),
  );
  const latencyRows: Row[] = summary.byLabel.map((l) => ({ request: l.label, ...latencyColumns(l), errors: l.errors }));
  latencyRows.push({ request: "all", ...latencyColumns(summary.latency), errors: summary.errors });
  printTable("Latency (ms)", latencyRows);
  const statuses = Object.entries(summary.byStatus);
  if (statuses.length) {
    printTable(
      "Answers other than 2xx (status, problem code)",
      statuses.map(([status, count]) => ({ answer: status, count })),
    );
  }
  const measures = Object.entries(summary.measures);
  if (measures.length)
    printTable(
      "Measures (ms)",
      measures.map(([name, l]) => ({ measure: name, ...latencyColumns(l) })),
    );
  for (const table of run.tables ?? []) printTable(table.title, table.rows);
  if (verdicts.length) {
    printTable(
      "Thresholds",
      verdicts.map((v) => ({
        threshold: v.name,
        limit: shown(v, v.limit),
        actual: shown(v, v.actual),
        verdict: v.passed ? "pass" : "FAIL",
      })),
    );
  }
  if (run.problems?.length) {
    console.log("\nProblems:");
    for (const problem of run.problems.slice(0, 20)) console.log(`  - ${problem}`);
    if (run.problems.length > 20) console.log(`  … and ${run.problems.length - 20} more`);
  }
}
