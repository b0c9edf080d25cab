import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { call } from "../helpers/http";
import { testApp } from "../helpers/test-app";

describe("GET /health", () => {
  it("answers 200 with every check ok and its latency", async () => {
    const res = await call("/health");
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; version: string; checks: Record<string, { status: string; latencyMs: number }> };
    expect(body.status).toBe("ok");
    expect(body.version).toBe(env.APP_VERSION);
    expect(Object.keys(body.checks).sort()).toEqual(["database", "queues", "rateLimiter", "storage"]);
    for (const check of Object.values(body.checks)) {
      expect(check.status).toBe("ok");
      expect(check.latencyMs).toBeGreaterThanOrEqual(0);
    }
    expect(res.headers.get("Cache-Control")).toBe("no-store");
  });

  it("answers 503 naming the failing check when a binding is broken", async () => {
    const brokenDb = {
      prepare: () => ({
        first: () => Promise.reject(new Error("D1_ERROR: no such table: secret_internal_table")),
      }),
    };
    const res = await testApp().request("/health", {}, { ...env, DB: brokenDb });
    expect(res.status).toBe(503);
    const text = await res.text();
    expect(text).not.toContain("secret_internal_table");
    const body = JSON.parse(text) as { status: string; checks: Record<string, { status: string }> };
    expect(body.status).toBe("error");
    expect(body.checks.database!.status).toBe("error");
    expect(body.checks.storage!.status).toBe("ok");
  });
});
