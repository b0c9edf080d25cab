/**
 * The fuzzer checks itself: a tiny in-process Hono app, documented by a tiny OpenAPI document, with
 * planted bugs — a route that throws (500), a route whose answer breaks its documented schema, an
 * error that is not problem+json, a route that accepts a body its schema forbids — and one correct
 * route. The fuzz must report each planted bug and nothing on the correct route.
 */
import { Hono } from "hono";
import { fuzz, type FuzzResult } from "./core";

const problem = {
  type: "object",
  required: ["type", "title", "status", "detail", "code"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    code: { type: "string" },
  },
};
const problemResponse = (description: string) => ({
  description,
  content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } },
});
const item = {
  type: "object",
  required: ["id", "count"],
  properties: { id: { type: "string", pattern: "^itm_[0-9A-Z]{26}$" }, count: { type: "integer", minimum: 0 } },
  additionalProperties: false,
};
const ok = (schema: unknown) => ({ description: "ok", content: { "application/json": { schema } } });

const SELF_CHECK_DOCUMENT = {
  openapi: "3.1.0",
  info: { title: "fuzzer self-check", version: "1" },
  components: { schemas: { Problem: problem, Item: item } },
  paths: {
    "/good/{id}": {
      get: {
        parameters: [
          { in: "path", name: "id", required: true, schema: { type: "string" }, example: "itm_01JD8X2V3K4M5N6P7Q8R9S0T1U" },
          { in: "query", name: "limit", schema: { type: "integer", minimum: 1, maximum: 10 } },
        ],
        responses: { 200: ok({ $ref: "#/components/schemas/Item" }), 400: problemResponse("bad"), 404: problemResponse("missing") },
      },
    },
    "/boom": { get: { responses: { 200: ok({ $ref: "#/components/schemas/Item" }), 500: problemResponse("internal") } } },
    "/mismatch": { get: { responses: { 200: ok({ $ref: "#/components/schemas/Item" }) } } },
    "/plain-error": { get: { responses: { 200: ok({ $ref: "#/components/schemas/Item" }), 404: problemResponse("missing") } } },
    "/lenient": {
      post: {
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: {
                type: "object",
                required: ["count"],
                properties: { count: { type: "integer", minimum: 0, maximum: 5 } },
                additionalProperties: false,
              },
            },
          },
        },
        responses: { 201: ok({ $ref: "#/components/schemas/Item" }), 400: problemResponse("bad"), 415: problemResponse("media type") },
      },
    },
  },
};

const ID = "itm_01JD8X2V3K4M5N6P7Q8R9S0T1U";
const problemOf = (status: number, code: string) =>
  new Response(JSON.stringify({ type: `urn:x:${code}`, title: code, status, detail: code, code }), {
    status,
    headers: { "Content-Type": "application/problem+json" },
  });

function selfCheckApp(): Hono {
  const app = new Hono();
  app.onError(() => problemOf(500, "internal_error"));
  app.get("/good/:id", (c) => {
    const limit = c.req.query("limit");
    if (limit !== undefined && !/^(10|[1-9])$/.test(limit)) return problemOf(400, "validation_failed");
    return c.req.param("id") === ID ? c.json({ id: ID, count: 1 }) : problemOf(404, "not_found");
  });
  app.get("/boom", () => {
    throw new Error("planted 500");
  });
  app.get("/mismatch", (c) => c.json({ id: ID, count: "one" })); // planted: count must be an integer
  app.get("/plain-error", (c) => c.text("nope", 404)); // planted: an error that is not problem+json
  app.post("/lenient", async (c) => {
    // planted: no validation, so an invalid body is accepted
    if (!(c.req.header("Content-Type") ?? "").includes("json")) return problemOf(415, "unsupported_media_type");
    await c.req.text();
    return c.json({ id: ID, count: 0 }, 201);
  });
  return app;
}

/** Runs the fuzz against the planted bugs; returns what was (and was not) caught. */
export async function selfCheck(seed: number): Promise<{ result: FuzzResult; missed: string[]; falseAlarms: string[] }> {
  const app = selfCheckApp();
  const result = await fuzz({
    document: SELF_CHECK_DOCUMENT,
    fetch: async (request) => app.fetch(request),
    baseUrl: "http://self-check.local",
    callers: [{ role: "anonymous", headers: () => ({}) }],
    seed,
    budgetMs: 10_000,
    maxRequests: 300,
    ids: new Map([["itm", [ID]]]),
  });
  const caught = (operation: string, pattern: RegExp) =>
    result.failures.some((f) => f.request.operation === operation && f.reasons.some((r) => pattern.test(r)));
  const expectations: [string, string, RegExp][] = [
    ["a planted 500", "GET /boom", /server error 500/],
    ["a body that breaks its schema", "GET /mismatch", /does not match the documented 200/],
    ["an error that is not problem+json", "GET /plain-error", /not application\/problem\+json/],
    ["an invalid body accepted", "POST /lenient", /accepted an invalid request/],
  ];
  const missed = expectations.filter(([, operation, pattern]) => !caught(operation, pattern)).map(([what]) => what);
  const falseAlarms = result.failures.filter((f) => f.request.operation === "GET /good/{id}").map((f) => f.reasons.join("; "));
  return { result, missed, falseAlarms };
}
