import { percentile } from "../../bench/lib/table";

/** One request as the load generator saw it. */
export interface Sample {
  label: string;
  /** From the request being sent to its body being read. */
  ms: number;
  /** 0 when no answer came (network error, timeout). */
  status: number;
  /** The problem `code` of a non-2xx answer, or why no answer came (`timeout`, `network`). */
  code: string | null;
  /** Whether the scenario expected this answer (a 429 is expected when testing limits). */
  ok: boolean;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

interface LabelSummary extends LatencySummary {
  label: string;
  errors: number;
}

export interface RunSummary {
  requests: number;
  /** Answers the scenario did not expect, including no answer at all. */
  errors: number;
  errorRate: number;
  seconds: number;
  /** Requests answered per second over the run. */
  rps: number;
  latency: LatencySummary;
  byLabel: LabelSummary[];
  /** Count per `<status> <code>` (e.g. `429 rate_limited`, `0 timeout`), every answer that was not a 2xx. */
  byStatus: Record<string, number>;
  /** Durations the scenario measured that are not one request (submit → scored…), by name. */
  measures: Record<string, LatencySummary>;
}

/** Nearest-rank percentiles of `values` (any order), in milliseconds. */
export function summarizeLatencies(values: number[]): LatencySummary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
  };
}

export function summarizeRun(samples: Sample[], seconds: number, measures: Map<string, number[]> = new Map()): RunSummary {
  const errors = samples.filter((s) => !s.ok).length;
  const labels = [...new Set(samples.map((s) => s.label))];
  const byStatus: Record<string, number> = {};
  for (const s of samples) {
    if (s.status >= 200 && s.status < 300) continue;
    const key = `${s.status} ${s.code ?? "-"}`;
    byStatus[key] = (byStatus[key] ?? 0) + 1;
  }
  return {
    requests: samples.length,
    errors,
    errorRate: samples.length ? errors / samples.length : 0,
    seconds,
    rps: seconds > 0 ? samples.length / seconds : 0,
    latency: summarizeLatencies(samples.map((s) => s.ms)),
    byLabel: labels.map((label) => {
      const mine = samples.filter((s) => s.label === label);
      return { label, ...summarizeLatencies(mine.map((s) => s.ms)), errors: mine.filter((s) => !s.ok).length };
    }),
    byStatus,
    measures: Object.fromEntries([...measures].map(([name, values]) => [name, summarizeLatencies(values)])),
  };
}

/** Collects a phase's samples and measures; `summary()` once the phase is over. */
export class Recorder {
  private readonly samples: Sample[] = [];
  private readonly measures = new Map<string, number[]>();
  private readonly started = performance.now();
  private stoppedAt: number | null = null;

  add(sample: Sample): void {
    this.samples.push(sample);
  }

  measure(name: string, ms: number): void {
    const values = this.measures.get(name) ?? [];
    values.push(ms);
    this.measures.set(name, values);
  }

  /** Ends the phase's time (throughput's denominator) here; samples may still be added. */
  stopClock(): void {
    this.stoppedAt = performance.now();
  }

  summary(): RunSummary {
    return summarizeRun(this.samples, ((this.stoppedAt ?? performance.now()) - this.started) / 1000, this.measures);
  }
}
