/**
 * The Cron Triggers of a local run. `wrangler dev` never fires a cron by itself; this fires each
 * expression of wrangler.toml's `[triggers] crons` at the start of every UTC minute it matches, as the
 * edge does, through the local server's `GET /cdn-cgi/local/scheduled?cron=…&time=…` (wrangler dev
 * serves it without `--test-scheduled`), and logs each run: expression, status, outcome, duration.
 * Minutes that pass while the machine sleeps are skipped, not caught up (the edge does not catch up
 * either). `npm start` and the bench server run it beside `wrangler dev`; `PROCTOR_LOCAL_CRONS=off`
 * turns it off.
 */
import { readFileSync } from "node:fs";
import { parse } from "smol-toml";
import { parseCron, type CronExpression } from "./cron-expression";
import { onOffSetting } from "./on-off-setting";

const MINUTE_MS = 60_000;

/** Where the scheduler reads the time and sets its timer; tests pass a clock they move by hand. */
export interface SchedulerClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

const systemClock: SchedulerClock = {
  now: () => Date.now(),
  // Unref'd: a scheduler nobody stopped does not keep Node alive after its server is gone.
  setTimeout: (callback, ms) => setTimeout(callback, ms).unref(),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface CronRun {
  cron: string;
  /** The minute the run is for (epoch ms), passed on as the handler's `controller.scheduledTime`. */
  scheduledTime: number;
  /** The local server's HTTP status; null when it could not be reached. */
  status: number | null;
  /** workerd's outcome (`ok`, `exception`, …) or the reason the request failed. */
  outcome: string;
  durationMs: number;
}

export interface LocalSchedulerOptions {
  /** The local server, e.g. http://127.0.0.1:8787. */
  url: string;
  crons: readonly string[];
  clock?: SchedulerClock;
  fetch?: typeof fetch;
  /** Where each run's line goes (default: stdout). */
  log?: (line: string) => void;
  onRun?: (run: CronRun) => void;
}

export interface LocalScheduler {
  /** Fires nothing more; resolves once runs already sent have answered or been abandoned. */
  stop(): Promise<void>;
}

/** `PROCTOR_LOCAL_CRONS`: on unless "off" (or false/0/no). */
export function localCronsSetting(value = process.env.PROCTOR_LOCAL_CRONS): boolean {
  return onOffSetting("PROCTOR_LOCAL_CRONS", value);
}

/** The cron expressions of wrangler.toml's top-level `[triggers]` (the environment `wrangler dev` runs). */
export function wranglerCrons(path = "wrangler.toml"): string[] {
  const config = parse(readFileSync(path, "utf8")) as { triggers?: { crons?: unknown } };
  const crons = config.triggers?.crons ?? [];
  if (!Array.isArray(crons) || !crons.every((cron) => typeof cron === "string")) {
    throw new Error(`${path}: [triggers] crons must be a list of strings`);
  }
  for (const cron of crons) parseCron(cron); // a typo fails here, at start, not silently never
  return crons;
}

async function fire(
  options: LocalSchedulerOptions,
  fetcher: typeof fetch,
  clock: SchedulerClock,
  cron: string,
  scheduledTime: number,
  signal: AbortSignal,
): Promise<CronRun> {
  const started = clock.now();
  const url = `${options.url}/cdn-cgi/local/scheduled?cron=${encodeURIComponent(cron)}&time=${scheduledTime}&format=json`;
  try {
    const res = await fetcher(url, { signal });
    const text = await res.text();
    let outcome = res.ok ? "ok" : `HTTP ${res.status}`;
    try {
      outcome = (JSON.parse(text) as { outcome?: string }).outcome ?? outcome;
    } catch {
      // not workerd's JSON answer (another server on the port?): the status says enough
    }
    return { cron, scheduledTime, status: res.status, outcome, durationMs: clock.now() - started };
  } catch (error) {
    const reason = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
    return { cron, scheduledTime, status: null, outcome: `unreachable: ${reason}`, durationMs: clock.now() - started };
  }
}

/** How long `stop()` waits for runs already fired to answer. */
const STOP_GRACE_MS = 2_000;

export function startLocalScheduler(options: LocalSchedulerOptions): LocalScheduler {
  const clock = options.clock ?? systemClock;
  const fetcher = options.fetch ?? fetch;
  const log = options.log ?? ((line: string) => console.log(line));
  const expressions: CronExpression[] = options.crons.map(parseCron);
  const inFlight = new Set<Promise<void>>();
  const aborter = new AbortController();
  let timer: unknown;
  let stopped = false;

  const runDue = (minute: number) => {
    for (const expression of expressions) {
      if (!expression.matches(new Date(minute))) continue;
      const run = fire(options, fetcher, clock, expression.source, minute, aborter.signal).then((result) => {
        if (stopped && result.status === null) return; // abandoned by stop(): not worth a line
        log(`[local cron] ${result.cron} → ${result.status ?? "-"} ${result.outcome} in ${result.durationMs} ms`);
        options.onRun?.(result);
      });
      inFlight.add(run);
      void run.finally(() => inFlight.delete(run));
    }
  };

  const scheduleAfter = (previous: number) => {
    // The next minute boundary; if the machine slept past several, the first one still ahead.
    const next = Math.max(previous + MINUTE_MS, Math.floor(clock.now() / MINUTE_MS) * MINUTE_MS + MINUTE_MS);
    timer = clock.setTimeout(
      () => {
        if (stopped) return;
        runDue(next);
        scheduleAfter(next);
      },
      Math.max(0, next - clock.now()),
    );
  };
  scheduleAfter(Math.floor(clock.now() / MINUTE_MS) * MINUTE_MS);

  return {
    async stop() {
      stopped = true;
      clock.clearTimeout(timer);
      aborter.abort();
      // Bounded: a run cut off mid-body by a runtime going down may never settle (seen under load),
      // and an await on it alone would leave the caller hanging with nothing left to wake it.
      let grace: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.allSettled([...inFlight]), new Promise((resolve) => (grace = setTimeout(resolve, STOP_GRACE_MS)))]);
      clearTimeout(grace);
    },
  };
}
