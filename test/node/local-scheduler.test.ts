import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { describe, expect, it, onTestFinished, vi } from "vitest";
import { parseCron } from "../../scripts/cron-expression";
import { localCronsSetting, startLocalScheduler, wranglerCrons, type CronRun, type SchedulerClock } from "../../scripts/local-scheduler";

const MINUTE_MS = 60_000;

/** A clock the test moves by hand: timers run in order as time passes them, and only then. */
function manualClock(start: number) {
  let now = start;
  let nextId = 0;
  const timers = new Map<number, { at: number; callback: () => void }>();
  const clock: SchedulerClock & { advanceTo(to: number): void; pending(): number } = {
    now: () => now,
    setTimeout(callback, ms) {
      timers.set(++nextId, { at: now + ms, callback });
      return nextId;
    },
    clearTimeout(handle) {
      timers.delete(handle as number);
    },
    advanceTo(to) {
      for (;;) {
        const [id, due] = [...timers].filter(([, timer]) => timer.at <= to).sort(([, a], [, b]) => a.at - b.at)[0] ?? [];
        if (id === undefined || !due) break;
        timers.delete(id);
        now = due.at;
        due.callback();
      }
      now = to;
    },
    pending: () => timers.size,
  };
  return clock;
}

/** What wrangler.toml's crons mean, restated with plain Date arithmetic (Cloudflare's weekdays: 2 = Monday). */
const EXPECTED_SCHEDULES: Record<string, (minute: Date) => boolean> = {
  "* * * * *": () => true,
  "17 3 * * *": (minute) => minute.getUTCHours() === 3 && minute.getUTCMinutes() === 17,
  "0 8 * * 2": (minute) => minute.getUTCDay() === 1 && minute.getUTCHours() === 8 && minute.getUTCMinutes() === 0,
};

describe("the local scheduler", () => {
  it("fires each cron of wrangler.toml at the minutes it names, and at no other", async () => {
    const crons = wranglerCrons();
    expect(crons.sort()).toEqual(Object.keys(EXPECTED_SCHEDULES).sort()); // a new cron needs its schedule here
    const fired: { path: string; cron: string; time: number }[] = [];
    const recordingFetch = (async (input: string | URL | Request) => {
      const url = new URL(String(input));
      fired.push({ path: url.pathname, cron: url.searchParams.get("cron")!, time: Number(url.searchParams.get("time")) });
      return { ok: true, status: 200, text: async () => '{"outcome":"ok","noRetry":false}' } as Response;
    }) as typeof fetch;
    // Eight days from a Sunday 00:00:30 UTC (2026-11-29): every day's 03:17 and one Monday 08:00.
    const start = Date.UTC(2026, 10, 29, 0, 0, 30);
    const end = start + 8 * 24 * 60 * MINUTE_MS;
    const clock = manualClock(start);
    const scheduler = startLocalScheduler({ url: "http://127.0.0.1:1", crons, clock, fetch: recordingFetch, log: () => {} });
    clock.advanceTo(end);
    await scheduler.stop();

    expect(new Set(fired.map((run) => run.path))).toEqual(new Set(["/cdn-cgi/local/scheduled"]));
    for (const cron of crons) {
      const expected: number[] = [];
      for (let minute = start - (start % MINUTE_MS) + MINUTE_MS; minute <= end; minute += MINUTE_MS) {
        if (EXPECTED_SCHEDULES[cron]!(new Date(minute))) expected.push(minute);
      }
      const actual = fired.filter((run) => run.cron === cron).map((run) => run.time);
      expect(actual, cron).toEqual(expected);
    }
    expect(fired.filter((run) => run.cron === "17 3 * * *")).toHaveLength(8);
    expect(fired.filter((run) => run.cron === "0 8 * * 2").map((run) => new Date(run.time).toISOString())).toEqual([
      "2026-11-30T08:00:00.000Z",
    ]);
  });

  it("reads the whole 5-field syntax Cloudflare accepts", () => {
    const at = (iso: string) => new Date(iso);
    const cases: [string, string, boolean][] = [
      ["*/15 * * * *", "2026-03-10T10:45:00Z", true],
      ["*/15 * * * *", "2026-03-10T10:46:00Z", false],
      ["5,10-12/2 * * * *", "2026-03-10T10:12:00Z", true],
      ["5,10-12/2 * * * *", "2026-03-10T10:11:00Z", false],
      ["30/10 9-17 * * *", "2026-03-10T17:50:00Z", true],
      ["0 0 1 jan,JUL *", "2026-07-01T00:00:00Z", true],
      ["0 0 1 jan-jun *", "2026-07-01T00:00:00Z", false],
      ["0 17 * * sun", "2026-03-08T17:00:00Z", true], // a Sunday
      ["0 17 * * 1", "2026-03-08T17:00:00Z", true], // 1 is Sunday on Cloudflare
      ["10 7 * * mon-fri", "2026-03-09T07:10:00Z", true],
      ["10 7 * * 2-6", "2026-03-14T07:10:00Z", false], // a Saturday
      ["0 18 * * 6L", "2026-03-27T18:00:00Z", true], // the last Friday of March 2026
      ["0 18 * * friL", "2026-03-20T18:00:00Z", false],
      ["0 10 * * MON#2", "2026-03-09T10:00:00Z", true], // the second Monday
      ["0 10 * * 2#2", "2026-03-02T10:00:00Z", false],
      ["0 9 L * *", "2026-02-28T09:00:00Z", true],
      ["59 23 LW * *", "2026-05-29T23:59:00Z", true], // 31 May 2026 is a Sunday: Friday the 29th
      ["0 9 15W * *", "2026-08-14T09:00:00Z", true], // 15 Aug 2026 is a Saturday: Friday the 14th
      ["0 9 1W * *", "2026-08-03T09:00:00Z", true], // 1 Aug 2026 is a Saturday: Monday the 3rd, same month
      ["0 12 13 * 6", "2026-03-13T12:00:00Z", true], // both day fields restricted: either matches
      ["0 12 13 * 6", "2026-03-06T12:00:00Z", true],
      ["0 12 13 * 6", "2026-03-07T12:00:00Z", false],
    ];
    for (const [expression, when, fires] of cases) expect(parseCron(expression).matches(at(when)), `${expression} at ${when}`).toBe(fires);
    for (const bad of ["* * * *", "60 * * * *", "* * * * 0", "* * 32 * *", "5-1 * * * *", "*/0 * * * *", "* * * * MON#6", "? * * * *"]) {
      expect(() => parseCron(bad), bad).toThrow(/Invalid cron expression/);
    }
    expect(() => parseCron("0 8 * * 0")).toThrow(/1–7 from Sunday/);
  });

  it("fires against a running server, logs each run, and stops when told", async () => {
    const requests: URL[] = [];
    let holdNext = false;
    const held: ServerResponse[] = [];
    const server = createServer((req: IncomingMessage, res: ServerResponse) => {
      requests.push(new URL(req.url ?? "/", "http://127.0.0.1"));
      if (holdNext) {
        held.push(res); // a run the server has not answered yet
        return;
      }
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(JSON.stringify({ outcome: "ok", noRetry: false }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    onTestFinished(() => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const start = Date.UTC(2026, 10, 30, 9, 58, 20);
    const clock = manualClock(start);
    const lines: string[] = [];
    const runs: CronRun[] = [];
    const scheduler = startLocalScheduler({
      url,
      crons: ["* * * * *", "*/2 * * * *"],
      clock,
      log: (line) => lines.push(line),
      onRun: (run) => runs.push(run),
    });

    clock.advanceTo(Date.UTC(2026, 10, 30, 10, 0, 0)); // 09:59 (every minute), 10:00 (both)
    await vi.waitUntil(() => runs.length === 3);
    expect(requests.map((request) => [request.pathname, request.searchParams.get("cron"), request.searchParams.get("time")])).toEqual([
      ["/cdn-cgi/local/scheduled", "* * * * *", String(Date.UTC(2026, 10, 30, 9, 59))],
      ["/cdn-cgi/local/scheduled", "* * * * *", String(Date.UTC(2026, 10, 30, 10, 0))],
      ["/cdn-cgi/local/scheduled", "*/2 * * * *", String(Date.UTC(2026, 10, 30, 10, 0))],
    ]);
    expect(runs.every((run) => run.status === 200 && run.outcome === "ok")).toBe(true);
    expect(lines).toContain("[local cron] */2 * * * * → 200 ok in 0 ms");

    // A run still unanswered when the scheduler stops is abandoned, and nothing fires after.
    holdNext = true;
    clock.advanceTo(Date.UTC(2026, 10, 30, 10, 1, 0));
    await vi.waitUntil(() => held.length === 1);
    await scheduler.stop();
    expect(clock.pending()).toBe(0);
    clock.advanceTo(Date.UTC(2026, 10, 30, 11, 0, 0));
    expect(requests).toHaveLength(4);
    expect(runs).toHaveLength(3);
    for (const res of held) res.destroy();
  });

  it("says when the server cannot be reached, and keeps its schedule", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const clock = manualClock(Date.UTC(2026, 10, 30, 10, 0, 30));
    const runs: CronRun[] = [];
    const scheduler = startLocalScheduler({
      url: `http://127.0.0.1:${port}`,
      crons: ["* * * * *"],
      clock,
      log: () => {},
      onRun: (run) => runs.push(run),
    });
    clock.advanceTo(Date.UTC(2026, 10, 30, 10, 1, 0));
    await vi.waitUntil(() => runs.length === 1);
    expect(runs[0]).toMatchObject({ status: null, outcome: expect.stringMatching(/^unreachable: /) });
    expect(clock.pending()).toBe(1); // the next minute is still on
    await scheduler.stop();
  });

  it("reads PROCTOR_LOCAL_CRONS as on unless it says off", () => {
    for (const on of [undefined, "", "on", "true"]) expect(localCronsSetting(on)).toBe(true);
    for (const off of ["off", "OFF", "false", "0", "no"]) expect(localCronsSetting(off)).toBe(false);
    expect(() => localCronsSetting("hourly")).toThrow(/PROCTOR_LOCAL_CRONS/);
  });
});
