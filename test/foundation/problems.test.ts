import { env } from "cloudflare:workers";
import { z } from "zod";
import { describe, expect, it } from "vitest";
import { validate } from "../../src/lib/validation/validate";
import { call, problemOf } from "../helpers/http";
import { testApp } from "../helpers/test-app";

function appWithRoutes() {
  const t = testApp();
  t.app.post("/echo", validate("json", z.strictObject({ name: z.string().min(2).max(20), age: z.number().int().min(0) })), (c) =>
    c.json(c.req.valid("json")),
  );
  t.app.get("/boom", () => {
    throw new Error("SQLITE_ERROR near 'DROP TABLE users': password=hunter2");
  });
  return t;
}

const json = (body: string, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "Content-Type": "application/json", ...headers },
  body,
});

describe("problem+json errors", () => {
  it("404 not_found for an unknown route", async () => {
    const res = await call("/v1/nothing-here");
    expect(res.status).toBe(404);
    const problem = await problemOf(res);
    expect(problem).toMatchObject({ status: 404, code: "not_found", title: "Not found", type: "urn:proctor:problem:not_found" });
    expect(problem.requestId).toBe(res.headers.get("X-Request-Id"));
  });

  it("405 method_not_allowed with an Allow header", async () => {
    const res = await call("/health", { method: "DELETE" });
    expect(res.status).toBe(405);
    expect(res.headers.get("Allow")).toContain("GET");
    expect((await problemOf(res)).code).toBe("method_not_allowed");
  });

  it("400 malformed_json for a body that is not JSON", async () => {
    const res = await appWithRoutes().request("/echo", json('{"name": "ab",'));
    expect(res.status).toBe(400);
    expect((await problemOf(res)).code).toBe("malformed_json");
  });

  it("400 validation_failed listing every field error", async () => {
    const res = await appWithRoutes().request("/echo", json(JSON.stringify({ name: "a", age: -1, role: "admin" })));
    expect(res.status).toBe(400);
    const problem = await problemOf(res);
    expect(problem.code).toBe("validation_failed");
    const paths = problem.errors!.map((error) => error.path);
    expect(paths).toEqual(expect.arrayContaining(["name", "age", "(root)"]));
    for (const error of problem.errors!) expect(error.message.length).toBeGreaterThan(0);
  });

  it("415 unsupported_media_type when a JSON route gets another type", async () => {
    const res = await appWithRoutes().request("/echo", { method: "POST", headers: { "Content-Type": "text/plain" }, body: "name=ab" });
    expect(res.status).toBe(415);
    expect((await problemOf(res)).code).toBe("unsupported_media_type");
  });

  it("413 payload_too_large above the JSON cap, declared or streamed", async () => {
    const big = JSON.stringify({ name: "x".repeat(Number(env.MAX_JSON_BODY_BYTES) + 10), age: 1 });
    const declared = await appWithRoutes().request("/echo", json(big));
    expect(declared.status).toBe(413);
    expect((await problemOf(declared)).code).toBe("payload_too_large");

    const chunks = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(big));
        controller.close();
      },
    });
    const streamed = await appWithRoutes().request("/echo", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: chunks,
      // @ts-expect-error -- workerd needs duplex for streamed request bodies
      duplex: "half",
    });
    expect(streamed.status).toBe(413);
  });

  it("500 internal_error without leaking the message, SQL or stack", async () => {
    const res = await appWithRoutes().request("/boom");
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(/SQLITE|DROP TABLE|hunter2|at .*\.ts/);
    const problem = JSON.parse(text);
    expect(problem.code).toBe("internal_error");
    expect(res.headers.get("Content-Type")).toBe("application/problem+json");
  });

  it("500 misconfigured naming a missing setting instead of crashing", async () => {
    const { APP_VERSION: _dropped, ...withoutVersion } = env;
    const res = await testApp().request("/health", {}, { ...withoutVersion, ENVIRONMENT: "nonsense" });
    expect(res.status).toBe(500);
    const problem = await problemOf(res);
    expect(problem.code).toBe("misconfigured");
    expect(problem.detail).toContain("APP_VERSION");
    expect(problem.detail).toContain("ENVIRONMENT");
  });
});
