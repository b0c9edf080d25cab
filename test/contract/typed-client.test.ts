import { exports } from "cloudflare:workers";
import { hc, type InferResponseType } from "hono/client";
import { beforeAll, describe, expect, expectTypeOf, it } from "vitest";
import type { AppType } from "../../src/index";
import { createCast, createFullTest, type Cast } from "../exam/fixtures";
import { BASE_URL } from "../helpers/http";

// The typed client a TypeScript consumer gets from `AppType` (docs/api.md): paths, parameters and
// answers are checked by the compiler; here it also runs against the real Worker.

const worker = (exports as unknown as { default: Fetcher }).default;
const client = hc<AppType>(BASE_URL, { fetch: (input: RequestInfo | URL, init?: RequestInit) => worker.fetch(new Request(input, init)) });

let cast: Cast;
beforeAll(async () => {
  cast = await createCast();
});

describe("hc<AppType>", () => {
  it("types and calls GET /health", async () => {
    const res = await client.health.$get();
    expect(res.status).toBe(200);
    const body = await res.json();
    expectTypeOf(body).toEqualTypeOf<{ status: string; version: string }>();
    expect(body.status).toBe("ok");
  });

  it("types a resource read, with path parameters and the test's fields", async () => {
    const { test } = await createFullTest(cast.instructor.headers);
    const res = await client.v1.tests[":id"].$get({ param: { id: test.id } }, { headers: cast.student.headers });
    expect(res.status).toBe(200);
    const body = await res.json();
    type Read = InferResponseType<(typeof client.v1.tests)[":id"]["$get"], 200>;
    expectTypeOf<Read>().toHaveProperty("durationMinutes");
    expect(body.id).toBe(test.id);
    expect(body.durationMinutes).toBe(30);
  });

  it("types a request body: json is checked against the route's zod schema", async () => {
    const res = await client.v1.planner.goals.$post(
      { json: { title: "Typed", targetDate: "2026-12-31", targetHours: 5 } },
      { headers: cast.student.headers },
    );
    expect(res.status).toBe(201);
    // @ts-expect-error targetHours must be a number: the compiler refuses the call.
    expect(() => client.v1.planner.goals.$post({ json: { title: "x", targetDate: "2026-12-31", targetHours: "5" } })).toBeDefined();
  });
});
