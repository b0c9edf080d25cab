import { describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { envWith, limitedApp, uniqueKey } from "../helpers/rate-limit";

const bindings = envWith({ RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 5, windowSeconds: 60, block: null } }) });

describe("sliding window over time", () => {
  it("slides: units admitted at different times leave the window one by one", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "api", key: () => key });
    for (let i = 0; i < 3; i++) expect((await request("/t/limited", {}, bindings)).status).toBe(200);
    clock.advance(30_000);
    for (let i = 0; i < 2; i++) expect((await request("/t/limited", {}, bindings)).status).toBe(200);

    const denied = await request("/t/limited", {}, bindings);
    expect(denied.status).toBe(429);
    // The three oldest leave 60 s after they were admitted: 30 s from now.
    expect(Number(denied.headers.get("Retry-After"))).toBe(30);

    clock.advance(29_000);
    expect((await request("/t/limited", {}, bindings)).status).toBe(429);

    clock.advance(1_000);
    const afterFirstBatch = await request("/t/limited", {}, bindings);
    expect(afterFirstBatch.status).toBe(200);
    // Three left the window, one was just taken: 5 - 2 - 1 = 2 left.
    expect(afterFirstBatch.headers.get("X-RateLimit-Remaining")).toBe("2");
  });

  it("does not reset at a fixed boundary: a burst at the end of one minute still counts at the start of the next", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "api", key: () => key });
    clock.advance(59_000);
    for (let i = 0; i < 5; i++) expect((await request("/t/limited", {}, bindings)).status).toBe(200);
    clock.advance(2_000); // a fixed window would have reset here
    expect((await request("/t/limited", {}, bindings)).status).toBe(429);
    clock.advance(58_000);
    expect((await request("/t/limited", {}, bindings)).status).toBe(200);
  });

  it("does not count denied requests against the window", async () => {
    const key = uniqueKey();
    const { request } = limitedApp({ policy: "api", key: () => key });
    for (let i = 0; i < 5; i++) await request("/t/limited", {}, bindings);
    for (let i = 0; i < 20; i++) expect((await request("/t/limited", {}, bindings)).status).toBe(429);
    clock.advance(60_000);
    for (let i = 0; i < 5; i++) expect((await request("/t/limited", {}, bindings)).status).toBe(200);
  });
});
