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
// biome-ignore lint/suspicious/noExplicitAny: any middleware, whatever its env, path and input types
export function documented<M extends MiddlewareHandler<any, any, any>>(spec: OperationSpec, middleware: M): M {
  return Object.assign(middleware, { [uniqueSymbol]: { spec } });
}

/** A response body schema: the zod schema's output side (defaults applied, transforms done). */
function responseSchema(schema: ZodType) {
  return resolver(schema, { options: { io: "output" } } as never);
}

/** `{ "application/json": { schema } }` for a success response. */
function jsonContent(schema: ZodType) {
  return { "application/json": { schema: responseSchema(schema) } } as never;
}

interface RawResponse {
  description: string;
  content?: Record<string, unknown>;
  headers?: Record<string, unknown>;
}

/** A JSON body, or the same resource rendered in other media types, as the request chooses (`?format=`). */
export function negotiatedResponse(description: string, schema: ZodType, mediaTypes: string[]): RawResponse {
  return {
    description,
    content: {
      ...(jsonContent(schema) as Record<string, unknown>),
      ...Object.fromEntries(mediaTypes.map((type) => [type, fileResponse(description, type).content![type]])),
    },
  };
}

/** A file answered as-is (an image, a download), of the given media type. */
export function fileResponse(description: string, mediaType = "application/octet-stream"): RawResponse {
  return { description, content: { [mediaType]: { schema: { type: "string", contentMediaType: mediaType } } } };
}

interface OperationOptions {
  summary: string;
  description?: string;
  /** Success responses: status → `[description, JSON body schema]`, a description alone (no body), or a raw response object (files). */
  responses: Record<number, string | readonly [string, ZodType] | RawResponse>;
  /** Problem codes the handler itself can answer with, beyond those its middleware adds. */
  errors?: ErrorCode[];
  deprecated?: boolean;
  operationId?: string;
  /** Explicit security, for a route that authenticates in its own way (the health check token). */
  security?: DescribeRouteOptions["security"];
  /** A body the handler parses itself (not through `validate`), e.g. an optional one. */
  requestBody?: { schema: ZodType; required: boolean } | { content: Record<string, unknown>; required: boolean };
  /** Scopes a route checks inside a middleware of its own rather than with `requireScope`. */
  scopes?: Scope[];
}

/**
 * The operation description for one resource's routes: `const describe = operationsOf("Tests")`, then
 * `.get("/:id", describe({ summary, responses: { 200: ["The test", testSchema] }, errors: ["not_found"] }), …)`.
 */
export function operationsOf(tag: string) {
  return function describe(options: OperationOptions): MiddlewareHandler {
    const responses: NonNullable<DescribeRouteOptions["responses"]> = {};
    for (const [status, response] of Object.entries(options.responses)) {
      if (typeof response === "string") responses[status] = { description: response };
      else if (Array.isArray(response)) responses[status] = { description: response[0], content: jsonContent(response[1] as ZodType) };
      else responses[status] = response as never;
    }
    const spec: OperationSpec = {
      tags: [tag],
      summary: options.summary,
      ...(options.description ? { description: options.description } : {}),
      ...(options.deprecated ? { deprecated: true } : {}),
      ...(options.operationId ? { operationId: options.operationId } : {}),
      ...(options.security ? { security: options.security } : {}),
      ...(options.scopes ? { "x-proctor-scopes": options.scopes } : {}),
      ...(options.requestBody
        ? {
            requestBody: {
              required: options.requestBody.required,
              content:
                "schema" in options.requestBody
                  ? { "application/json": { schema: resolver(options.requestBody.schema) } }
                  : options.requestBody.content,
            } as never,
          }
        : {}),
      responses,
      "x-proctor-errors": options.errors ?? [],
    };
    return describeRoute(spec);
  };
}
