import { describe, expect, it } from "vitest";
import type { OpenAPIV3_1 } from "openapi-types";
import committedJson from "../../docs/openapi.json";
import { createApp } from "../../src/app";
import { CONTRACT_VERSION, serializeDocument } from "../../src/openapi/contract-file";
import { buildOpenApiDocument, CONSOLE_ROUTES } from "../../src/openapi/document";
import { call } from "../helpers/http";

const METHODS = ["get", "put", "post", "delete", "patch"];
const committed = committedJson as unknown as OpenAPIV3_1.Document & { components: Record<string, Record<string, any>> };

/** Hono's `/tests/:id` (or `:id{regex}`) as OpenAPI's `/tests/{id}`. */
const openApiPath = (path: string) => path.replace(/:([\w-]+)(\{[^}]*\})?\??/g, "{$1}");

function servedOperations(): Set<string> {
  const served = new Set<string>();
  for (const route of createApp().routes) {
    if (route.method === "ALL" || route.path.includes("*") || CONSOLE_ROUTES.test(route.path)) continue;
    served.add(`${route.method} ${openApiPath(route.path)}`);
  }
  return served;
}

function documentedOperations(document: OpenAPIV3_1.Document): Map<string, Record<string, unknown>> {
  const documented = new Map<string, Record<string, unknown>>();
  for (const [path, item] of Object.entries(document.paths as Record<string, Record<string, Record<string, unknown>>>)) {
    for (const method of METHODS) if (item[method]) documented.set(`${method.toUpperCase()} ${path}`, item[method]);
  }
  return documented;
}

describe("the OpenAPI document", () => {
  it("is served at GET /openapi.json, the same contract as docs/openapi.json", async () => {
    const res = await call("/openapi.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^application\/json/);
    const served = (await res.json()) as OpenAPIV3_1.Document;
    expect(served.openapi).toBe("3.1.0");
    expect(served.paths).toEqual(committed.paths);
    expect(served.components).toEqual(committed.components);
  });

  it("docs/openapi.json is what the app generates (run `npm run openapi` after changing a route)", async () => {
    const generated = JSON.parse(serializeDocument(await buildOpenApiDocument(createApp(), CONTRACT_VERSION)));
    expect(generated).toEqual(committed);
  });

  it("documents every route the app serves, and serves every documented operation", () => {
    const served = [...servedOperations()].sort();
    const documented = [...documentedOperations(committed).keys()].sort();
    expect(
      documented.filter((op) => !served.includes(op)),
      "documented but not served",
    ).toEqual([]);
    expect(
      served.filter((op) => !documented.includes(op)),
      "served but not documented",
    ).toEqual([]);
  });

  it("gives every operation a tag, a summary of its own, a success response and security", () => {
    const lacking: string[] = [];
    for (const [name, operation] of documentedOperations(committed)) {
      const responses = Object.keys(operation.responses as object);
      const [method, path] = name.split(" ");
      if (!(operation.tags as string[] | undefined)?.length) lacking.push(`${name}: tag`);
      if (operation.summary === `${method} ${path}`) lacking.push(`${name}: summary`);
      if (!responses.some((status) => /^[23]/.test(status))) lacking.push(`${name}: success response`);
      if (!Array.isArray(operation.security)) lacking.push(`${name}: security`);
    }
    expect(lacking).toEqual([]);
  });

  it("lists the problem codes each status can carry, each of that status", () => {
    for (const [name, response] of Object.entries(committed.components.responses as Record<string, any>)) {
      const { status, code } = response.content["application/problem+json"]!.schema.allOf[1].properties;
      expect(name.startsWith(`problem.${status.const}.`), name).toBe(true);
      expect(code.enum.length).toBeGreaterThan(0);
    }
  });
});
