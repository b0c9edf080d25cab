import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Logger } from "../../src/lib/logger";
import { MetricsRecorder, tagsKey } from "../../src/lib/metrics/recorder";
import { createDb } from "../../src/db";
import { newId, ulid } from "../../src/lib/ids";
import { clock } from "../../src/lib/clock";
import { call } from "../helpers/http";

afterEach(() => vi.restoreAllMocks());

describe("Logger", () => {
  it("writes JSON lines with context and redacts secrets in fields and messages", () => {
    const lines: string[] = [];
    vi.spyOn(console, "log").mockImplementation((line: string) => void lines.push(line));
    const logger = new Logger({ requestId: "req_1" }, "debug");
    logger.bind({ actor: "usr_1" });
    logger.info("login with password=hunter2 and Bearer st_abcdefghijklmnopqrstuvwx", {
      headers: { authorization: "Bearer pk_abcdefghijklmnopqrstuvwxyz", accept: "json" },
      token: "st_secret",
    });
    const entry = JSON.parse(lines[0]!);
    expect(entry).toMatchObject({ level: "info", requestId: "req_1", actor: "usr_1", token: "[REDACTED]" });
    expect(entry.headers).toEqual({ authorization: "[REDACTED]", accept: "json" });
    expect(lines[0]).not.toMatch(/hunter2|st_abcdef|pk_abcdef/);
  });

  it("drops lines below its level", () => {
    const log = vi.spyOn(console, "log").mockImplementation(() => undefined);
    new Logger({}, "warn").info("quiet");
    expect(log).not.toHaveBeenCalled();
  });
});

describe("MetricsRecorder", () => {
  it("buffers points and writes them in one flush, many rows included", async () => {
    const recorder = new MetricsRecorder();
    for (let i = 0; i < 45; i++) recorder.record("test.flush", i, { b: "2", a: "1" });
    expect(recorder.pending).toBe(45);
    await recorder.flush(createDb(env.DB));
    expect(recorder.pending).toBe(0);
    const row = await env.DB.prepare("SELECT COUNT(*) AS n, MIN(tags_key) AS k FROM system_metrics WHERE name = 'test.flush'").first<{ n: number; k: string }>();
    expect(row).toEqual({ n: 45, k: "a=1,b=2" });
  });

  it("measure records the duration even when the function throws", async () => {
    const recorder = new MetricsRecorder();
    await expect(recorder.measure("test.measure", () => Promise.reject(new Error("x")))).rejects.toThrow("x");
    expect(recorder.pending).toBe(1);
  });

  it("canonicalises tags", () => {
    expect(tagsKey({ z: "1", a: "2" })).toBe("a=2,z=1");
  });

  it("records one http.request point per request, after the response", async () => {
    await call("/health", { headers: { "X-Request-Id": "metrics-probe-01" } });
    await vi.waitFor(async () => {
      const row = await env.DB.prepare(
        "SELECT tags FROM system_metrics WHERE name = 'http.request' AND tags_key LIKE '%route=/health%' LIMIT 1",
      ).first<{ tags: string }>();
      expect(JSON.parse(row!.tags)).toMatchObject({ route: "/health", method: "GET", status: "2xx" });
    });
  });
});

describe("ids and clock", () => {
  it("mints prefixed ids that sort by time", () => {
    const a = newId("user", 1_700_000_000_000);
    const b = newId("user", 1_700_000_000_001);
    expect(a).toMatch(/^usr_[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(a < b).toBe(true);
    expect(ulid(0).slice(0, 10)).toBe("0000000000");
  });

  it("moves for every reader when a test advances it", () => {
    const start = clock.now();
    clock.advance(3_600_000);
    expect(clock.now() - start).toBeGreaterThanOrEqual(3_600_000);
  });
});
