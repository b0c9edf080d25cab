import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clock } from "../../src/lib/clock";
import { SLOW_REQUEST_MS } from "../../src/middleware/services";
import { testApp } from "../helpers/test-app";

/** The `request` lines written while `run` sends its requests, parsed. */
async function requestLines(run: () => Promise<unknown>): Promise<{ route: string; status: number; durationMs: number }[]> {
  const lines: string[] = [];
  const record = (...args: unknown[]) => void lines.push(args.map(String).join(" "));
  const spies = (["log", "info", "warn", "error"] as const).map((method) => vi.spyOn(console, method).mockImplementation(record));
  try {
    await run();
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
  return lines.flatMap((line) => {
    try {
      const parsed = JSON.parse(line) as { message?: string; route: string; status: number; durationMs: number };
      return parsed.message === "request" ? [parsed] : [];
    } catch {
      return [];
    }
  });
}

function appWithRoutes() {
  const { app, request } = testApp();
  app.get("/__test/ok", (c) => c.json({ ok: true }));
  app.get("/__test/broken", () => {
    throw new Error("broken on purpose");
  });
  app.get("/__test/slow", (c) => {
    clock.advance(SLOW_REQUEST_MS);
    return c.json({ ok: true });
  });
  return request;
}

afterEach(() => clock.reset());

/** The test settings log only errors; the request line is written at info. */
const verbose = (vars: Record<string, string> = {}) => ({ ...env, LOG_LEVEL: "info", ...vars });

describe("REQUEST_LOG", () => {
  it("notable (the default) logs server errors and slow requests, not the rest", async () => {
    const request = appWithRoutes();
    const lines = await requestLines(async () => {
      for (const path of ["/__test/ok", "/nowhere", "/__test/broken", "/__test/slow"]) await request(path, {}, verbose());
    });
    expect(lines.map((line) => [line.route, line.status])).toEqual([
      ["/__test/broken", 500],
      ["/__test/slow", 200],
    ]);
    expect(lines[1]!.durationMs).toBeGreaterThanOrEqual(SLOW_REQUEST_MS);
  });

  it("all logs every request; off logs none, not even a server error", async () => {
    const request = appWithRoutes();
    const all = await requestLines(async () => {
      for (const path of ["/__test/ok", "/nowhere"]) await request(path, {}, verbose({ REQUEST_LOG: "all" }));
    });
    expect(all.map((line) => [line.route, line.status])).toEqual([
      ["/__test/ok", 200],
      ["unmatched", 404],
    ]);
    const off = await requestLines(() => request("/__test/broken", {}, verbose({ REQUEST_LOG: "off" })));
    expect(off).toEqual([]);
  });

  it("refuses an unknown mode as a configuration error", async () => {
    const request = appWithRoutes();
    const res = await request("/__test/ok", {}, verbose({ REQUEST_LOG: "verbose" }));
    expect(res.status).toBe(500);
    expect(await res.text()).toContain("REQUEST_LOG");
  });
});
