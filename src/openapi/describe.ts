import type { MiddlewareHandler } from "hono";
import { describeRoute, resolver, uniqueSymbol, type DescribeRouteOptions } from "hono-openapi";
import type { ZodType } from "zod";
import type { ErrorCode } from "../lib/errors";
import type { Scope } from "../lib/auth/scopes";

/**
 * What a middleware or route adds to its operation's document. The `x-proctor-*` members are arrays
 * because hono-openapi concatenates arrays when it merges the specs of one route's middleware;
 * `finishOperations` (document.ts) turns them into problem responses, security and headers, then drops them.
 */
export interface OperationSpec extends DescribeRouteOptions {
  /** Problem codes this step can answer with (each becomes part of a problem+json response). */
  "x-proctor-errors"?: ErrorCode[];
  /** Scopes the caller's credential must hold. */
  "x-proctor-scopes"?: Scope[];
  /** Roles the caller's account must have. */
  "x-proctor-roles"?: string[];
  /** Present when the route needs an authenticated caller. */
  "x-proctor-auth"?: ["required"];
  /** Rate-limit policies charged (their headers appear on every response). */
  "x-proctor-rate-limit"?: string[];
}

/** Marks a middleware so the document generator reads `spec` from it, exactly as hono-openapi's own `describeRoute` does. */
export function documented<M extends MiddlewareHandler<any, any, any>>(spec: OperationSpec, middleware: M): M {
  return Object.assign(middleware, { [uniqueSymbol]: { spec } });
}

/** A response body schema: the zod schema's output side (defaults applied, transforms done). */
export function responseSchema(schema: ZodType) {
  return resolver(schema, { options: { io: "output" } } as never);
}

/** `{ "application/json": { schema } }` for a success response. */
export function jsonContent(schema: ZodType) {
  return { "application/json": { schema: responseSchema(schema) } } as never;
}

interface OperationOptions {
  summary: string;
  description?: string;
  /** Success responses: status → `[description, body schema]`, or a description alone (no body). */
  responses: Record<number, string | readonly [string, ZodType]>;
  /** Problem codes the handler itself can answer with, beyond those its middleware adds. */
  errors?: ErrorCode[];
  deprecated?: boolean;
  operationId?: string;
}

/**
 * The operation description for one resource's routes: `const describe = operationsOf("Tests")`, then
 * `.get("/:id", describe({ summary, responses: { 200: ["The test", testSchema] }, errors: ["not_found"] }), …)`.
 */
export function operationsOf(tag: string) {
  return function describe(options: OperationOptions): MiddlewareHandler {
    const responses: NonNullable<DescribeRouteOptions["responses"]> = {};
    for (const [status, response] of Object.entries(options.responses)) {
      responses[status] = typeof response === "string" ? { description: response } : { description: response[0], content: jsonContent(response[1]) };
    }
    const spec: OperationSpec = {
      tags: [tag],
      summary: options.summary,
      ...(options.description ? { description: options.description } : {}),
      ...(options.deprecated ? { deprecated: true } : {}),
      ...(options.operationId ? { operationId: options.operationId } : {}),
      responses,
      "x-proctor-errors": options.errors ?? [],
    };
    return describeRoute(spec);
  };
}
