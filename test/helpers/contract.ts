import { Validator } from "@cfworker/json-schema";
import { expect } from "vitest";
import committedJson from "../../docs/openapi.json";

type Json = Record<string, any>;
const RATE_LIMIT_HEADERS = [
  "RateLimit-Policy",
  "RateLimit",
  "X-RateLimit-Limit",
  "X-RateLimit-Remaining",
  "X-RateLimit-Reset",
  "Retry-After",
];
const document = committedJson as unknown as Json;

/** Inlines `#/components/…` references, so one schema stands alone for the validator. */
function inline(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(inline);
  if (!node || typeof node !== "object") return node;
  const { $ref, ...rest } = node as Json;
  if (typeof $ref === "string") {
    const target = $ref
      .slice(2)
      .split("/")
      .reduce((at: Json, key: string) => at[key.replaceAll("~1", "/").replaceAll("~0", "~")], document);
    return inline({ ...target, ...rest });
  }
  return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, inline(value)]));
}

/** The documented operation for a method and an OpenAPI path template (`/v1/tests/{id}`). */
function operationOf(method: string, path: string): Json {
  const operation = document.paths[path]?.[method.toLowerCase()];
  if (!operation) throw new Error(`${method} ${path} is not in docs/openapi.json`);
  return operation;
}

/**
 * Asserts a real response is one the document promises for that operation: its status is listed, and
 * its body (JSON or problem+json) validates against the documented schema, as the fuzzer's ajv will check.
 */
export async function expectDocumented(res: Response, method: string, path: string): Promise<unknown> {
  const operation = operationOf(method, path);
  const response = inline(operation.responses[String(res.status)]) as Json | undefined;
  const text = await res.clone().text();
  expect(response, `${method} ${path} answered ${res.status}, which the document does not list: ${text.slice(0, 300)}`).toBeDefined();
  for (const name of RATE_LIMIT_HEADERS) {
    if (res.headers.has(name))
      expect(Object.keys(response!.headers ?? {}), `${method} ${path} ${res.status} sends ${name}`).toContain(name);
  }
  const mediaType = (res.headers.get("Content-Type") ?? "").split(";")[0]!.trim();
  if (!response!.content) {
    expect(text, `${method} ${path} ${res.status} is documented without a body`).toBe("");
    return undefined;
  }
  const media = response!.content[mediaType];
  expect(
    media,
    `${method} ${path} ${res.status} answered ${mediaType}; documented: ${Object.keys(response!.content).join(", ")}`,
  ).toBeDefined();
  if (!mediaType.endsWith("json")) return text;
  const body = JSON.parse(text);
  const result = new Validator(media.schema, "2020-12", false).validate(body);
  expect(
    result.errors.map((e) => `${e.instanceLocation}: ${e.error}`),
    `${method} ${path} ${res.status} body: ${text.slice(0, 500)}`,
  ).toEqual([]);
  return body;
}
