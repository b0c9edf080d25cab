import type { Row } from "../../bench/lib/table";
import type { LoadClient } from "./client";
import type { ArrivalStats } from "./open-model";
import type { LoadOptions, ScenarioName } from "./options";
import type { Recorder } from "./recorder";
import type { Target } from "./target";

export interface ScenarioContext {
  options: LoadOptions;
  target: Target;
  /** Records the setup's requests apart from the measured phase (they meet no threshold). */
  setup: LoadClient;
  /** Names this run's accounts and keys, so runs never collide. */
  runId: string;
  log(line: string): void;
}

export interface ScenarioRun {
  /** The measured phase: every request and measure in it. */
  recorder: Recorder;
  arrivals: ArrivalStats;
  /** Scenario-specific tables to print under the common ones. */
  tables?: { title: string; rows: Row[] }[];
  /** Broken promises the run observed (an insane rate-limit header…): any one fails the run. */
  problems?: string[];
}

export interface Scenario {
  name: ScenarioName;
  /** What one arrival is, for the report ("requests", "students starting a test"…). */
  arrival: string;
  /** Student accounts the run uses: a local server is seeded with that many, signed in. */
  students(options: LoadOptions): number;
  run(ctx: ScenarioContext): Promise<ScenarioRun>;
}

export const pick = <T>(items: readonly T[]): T => items[Math.floor(Math.random() * items.length)]!;
