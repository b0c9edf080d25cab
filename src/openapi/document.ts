import type { Hono } from "hono";
import { generateSpecs } from "hono-openapi";
import type { OpenAPIV3_1 } from "openapi-types";
import { z } from "zod";
import { ERROR_CODES, type ErrorCode } from "../lib/errors";
import { ID_PREFIXES, type IdKind } from "../lib/ids";
import { SCOPES } from "../lib/auth/scopes";
import { CSRF_COOKIE, CSRF_HEADER, SESSION_COOKIE } from "../lib/auth/cookies";
import type { OperationSpec } from "./describe";
import { article } from "./schemas/primitives";
import { problemSchema } from "./schemas/problem";
import { webhookOperations } from "./webhooks";
import { CONSOLE_PATH } from "../console";

export const CONSOLE_ROUTES = new RegExp(`^${CONSOLE_PATH}(?:/|$)`);

type Document = OpenAPIV3_1.Document;
type Operation = OpenAPIV3_1.OperationObject & OperationSpec;

const METHODS = ["get", "put", "post", "delete", "patch", "head", "options", "trace"] as const;
const UNSAFE_METHODS = new Set(["post", "put", "patch", "delete"]);

/** Paths that are infrastructure, not API: liveness/readiness and the contract itself. */
const UNVERSIONED_TAGS: Record<string, string> = { "/health": "Health", "/openapi.json": "Contract", "/docs": "Contract" };

/** Problems any operation can answer: a bad or stale bearer credential is refused before routing; a fault is a 500. */
const ALWAYS: ErrorCode[] = ["unauthenticated", "key_revoked", "key_expired", "session_expired", "internal_error", "misconfigured"];
/** Problems of a JSON body: its media type, size, syntax and schema. */
const JSON_BODY: ErrorCode[] = ["unsupported_media_type", "payload_too_large", "malformed_json", "validation_failed"];
/** A refused limit, or the limiter unreachable while its policy fails closed. */
const RATE_LIMITED: ErrorCode[] = ["rate_limited", "service_unavailable"];
/** Authenticated routes: no credential, a cookie's failed CSRF check on a state change. */
const AUTHENTICATED: ErrorCode[] = ["unauthenticated"];

const RATE_LIMIT_HEADERS = ["RateLimit-Policy", "RateLimit", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"];

const DESCRIPTION = `The Proctor API: question banks, timed tests, attempts, scoring, analytics and the platform's operations.

Errors are RFC 9457 problem details (\`application/problem+json\`) with a stable \`code\`; each operation lists the codes it can answer.
Ids are prefixed ULIDs (\`tst_01JD…\`), timestamps ISO-8601 UTC strings, lists cursor-paginated (\`?limit=&cursor=\` → \`{ data, nextCursor }\`),
and enum values in responses are \`lowercase_snake_case\`. See docs/api.md for versioning and deprecation.`;

function baseDocument(version: string): Partial<Document> {
  return {
    openapi: "3.1.0",
    info: {
      title: "Proctor API",
      version,
      description: DESCRIPTION,
      license: { name: "Proprietary", identifier: "LicenseRef-Proprietary" },
    },
    servers: [{ url: "/", description: "This deployment" }],
    components: {
      securitySchemes: {
        bearer: {
          type: "http",
          scheme: "bearer",
          description:
            "An API key (`pk_…`, POST /v1/api-keys) or a session token (`st_…`, POST /v1/auth/login), as `Authorization: Bearer <token>`.",
        },
        sessionCookie: {
          type: "apiKey",
          in: "cookie",
          name: SESSION_COOKIE,
          description:
            "The browser session set by POST /v1/auth/login. A state change (POST, PUT, PATCH, DELETE) with it also needs `csrfHeader`.",
        },
        healthCheckToken: {
          type: "apiKey",
          in: "header",
          name: "X-Health-Check-Token",
          description: "The `HEALTH_CHECK_TOKEN` secret, for monitors.",
        },
        csrfHeader: {
          type: "apiKey",
          in: "header",
          name: CSRF_HEADER,
          description: `Double-submit token: the value of the \`${CSRF_COOKIE}\` cookie (GET /v1/auth/csrf), echoed on cookie-authenticated state changes.`,
        },
      },
      headers: {
        "RateLimit-Policy": {
          description: 'IETF rate-limit policy of the governing limit: `"<policy>";q=<limit>;w=<window seconds>`.',
          schema: { type: "string" },
          example: '"api";q=120;w=60',
        },
        RateLimit: {
          description: 'IETF rate-limit state: `"<policy>";r=<remaining>;t=<seconds until capacity frees>`.',
          schema: { type: "string" },
          example: '"api";r=119;t=60',
        },
        "X-RateLimit-Limit": { description: "Requests allowed in the window.", schema: { type: "integer" }, example: 120 },
        "X-RateLimit-Remaining": { description: "Requests left in the window.", schema: { type: "integer" }, example: 119 },
        "X-RateLimit-Reset": {
          description: "Unix time (seconds) when the window frees capacity.",
          schema: { type: "integer" },
          example: 1764780000,
        },
        "Retry-After": { description: "Seconds to wait before retrying.", schema: { type: "integer" }, example: 30 },
        "X-Request-Id": { description: "The request's id (`req_…`), also the problem's `requestId`.", schema: { type: "string" } },
      },
      schemas: { Problem: jsonSchemaOf(problemSchema) },
      examples: problemExamples(),
    },
    tags: [],
  };
}

function jsonSchemaOf(schema: z.ZodType): OpenAPIV3_1.SchemaObject {
  const { $schema: _, ...json } = z.toJSONSchema(schema, { io: "output" }) as Record<string, unknown>;
  return json as OpenAPIV3_1.SchemaObject;
}

/**
 * The OpenAPI 3.1 document of `app`: hono-openapi reads every route's validators and descriptions,
 * then each operation gets its problem responses, security and rate-limit headers from what its
 * middleware declared (src/openapi/describe.ts).
 */
// biome-ignore lint/suspicious/noExplicitAny: any app, whatever its env, schema and base path
export async function buildOpenApiDocument(app: Hono<any, any, any>, version: string): Promise<Document> {
  const base = baseDocument(version);
  const document = (await generateSpecs(app, {
    documentation: base,
    includeEmptyPaths: true,
    excludeStaticFile: false,
    defaultValidationErrorResponse: false,
    excludeMethods: ["OPTIONS", "HEAD"],
    // The admin console's pages are HTML for browsers, built on the operations documented here.
    exclude: CONSOLE_ROUTES,
  })) as Document;
  const tags = new Set<string>();
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const method of METHODS) {
      const operation = item?.[method] as Operation | undefined;
      if (!operation) continue;
      document.components!.responses ??= {};
      finishOperation(path, method, operation, document.components!.responses as Record<string, OpenAPIV3_1.ResponseObject>);
      for (const tag of operation.tags ?? []) tags.add(tag);
    }
  }
  document.webhooks = webhookOperations();
  tags.add("Webhook events");
  document.tags = [...tags].sort().map((name) => ({ name }));
  document.components!.responses = Object.fromEntries(
    Object.entries(document.components!.responses ?? {}).sort(([a], [b]) => a.localeCompare(b)),
  );
  return document;
}

function finishOperation(
  path: string,
  method: (typeof METHODS)[number],
  operation: Operation,
  sharedResponses: Record<string, OpenAPIV3_1.ResponseObject>,
): void {
  const errors = new Set<ErrorCode>([...ALWAYS, ...(operation["x-proctor-errors"] ?? [])]);
  const scopes = [...new Set(operation["x-proctor-scopes"] ?? [])];
  const roles = [...new Set(operation["x-proctor-roles"] ?? [])];
  const authenticated = Boolean(operation["x-proctor-auth"]?.length) || scopes.length > 0 || roles.length > 0;
  const rateLimits = [...new Set(operation["x-proctor-rate-limit"] ?? [])];

  if (!operation.tags?.length) operation.tags = [UNVERSIONED_TAGS[path] ?? tagFromPath(path)];
  describeIdParameters(path, operation);
  if (!operation.summary) operation.summary = `${method.toUpperCase()} ${path}`;

  const body = operation.requestBody as OpenAPIV3_1.RequestBodyObject | undefined;
  if (body?.content?.["application/json"]) for (const code of JSON_BODY) errors.add(code);
  if (body?.content?.["multipart/form-data"]) errors.add("payload_too_large");
  // Query parameters come only from validators; a validated path parameter has constraints, where
  // hono-openapi's own placeholder for an unvalidated one is a bare string.
  const validated = (operation.parameters ?? []).some(
    (p) => "in" in p && (p.in === "query" || (p.in === "path" && JSON.stringify(p.schema) !== '{"type":"string"}')),
  );
  if (validated) errors.add("validation_failed");
  if (rateLimits.length) for (const code of RATE_LIMITED) errors.add(code);
  if (authenticated) {
    for (const code of AUTHENTICATED) errors.add(code);
    if (UNSAFE_METHODS.has(method)) errors.add("csrf_failed");
    if (scopes.length) errors.add("insufficient_scope");
    if (roles.length) errors.add("forbidden");
    operation.security ??= UNSAFE_METHODS.has(method)
      ? [{ bearer: [] }, { sessionCookie: [], csrfHeader: [] }]
      : [{ bearer: [] }, { sessionCookie: [] }];
    const needs = [
      scopes.length ? `Scopes: ${scopes.map((s) => `\`${s}\` (${SCOPES[s]})`).join(", ")}.` : "",
      roles.length ? `Roles: ${roles.join(" or ")}.` : "",
    ].filter(Boolean);
    if (needs.length) operation.description = [operation.description, needs.join(" ")].filter(Boolean).join("\n\n");
    if (scopes.length) operation["x-scopes" as keyof Operation] = scopes as never;
  } else {
    operation.security ??= [];
  }

  operation.responses ??= {};
  const responses = operation.responses as Record<string, OpenAPIV3_1.ResponseObject | OpenAPIV3_1.ReferenceObject>;
  for (const response of Object.values(responses) as OpenAPIV3_1.ResponseObject[]) {
    // An undescribed route has only hono-openapi's placeholder `200: {}`.
    if (!response.description) response.description = "Success";
    if (rateLimits.length) response.headers = { ...rateLimitHeaders(false), ...response.headers };
  }
  for (const [status, codes] of groupByStatus(errors)) {
    const name = `problem.${status}.${codes.join(".")}${rateLimits.length ? ".limited" : ""}`;
    sharedResponses[name] ??= problemResponse(Number(status), codes, rateLimits.length > 0);
    responses[status] = { $ref: `#/components/responses/${name}` };
  }
  if (rateLimits.length) operation["x-rate-limit-policies" as keyof Operation] = rateLimits as never;
  for (const key of ["x-proctor-errors", "x-proctor-scopes", "x-proctor-roles", "x-proctor-auth", "x-proctor-rate-limit"] as const)
    delete operation[key];
}

/** The id kind a path segment's `{id}` names (`/v1/tests/{id}` → a `tst_` id), or a named parameter's own. */
const ID_KIND_OF: Record<string, IdKind> = {
  tests: "test",
  questions: "question",
  questionId: "question",
  attempts: "attempt",
  "api-keys": "apiKey",
  jobs: "job",
  plans: "plan",
  coupons: "coupon",
  subscriptions: "subscription",
  goals: "goal",
  uploads: "upload",
  webhooks: "webhook",
  deliveryId: "webhookDelivery",
  users: "user",
  "audit-logs": "audit",
  errors: "error",
  "security-events": "securityEvent",
  events: "event",
};

/** Unvalidated path ids (a bare string in the document) get their prefix's description and an example. */
function describeIdParameters(path: string, operation: Operation): void {
  const segments = path.split("/");
  for (const parameter of operation.parameters ?? []) {
    if (!("in" in parameter) || parameter.in !== "path" || JSON.stringify(parameter.schema) !== '{"type":"string"}') continue;
    const before = segments[segments.indexOf(`{${parameter.name}}`) - 1] ?? "";
    const kind =
      ID_KIND_OF[parameter.name] ??
      (parameter.name === "id"
        ? path.startsWith("/v1/planner/sessions")
          ? "studySession"
          : path.startsWith("/v1/me/sessions")
            ? "session"
            : ID_KIND_OF[before]
        : undefined);
    if (!kind) continue;
    const prefix = ID_PREFIXES[kind];
    parameter.description ??= `${article(kind)} ${kind} id (\`${prefix}_…\`).`;
    parameter.example = `${prefix}_01JD8X2V3K4M5N6P7Q8R9S0T1U`;
  }
}

function tagFromPath(path: string): string {
  const segments = path.split("/").filter((s) => s && s !== "v1" && !s.startsWith("{"));
  const name = (segments[0] === "admin" ? segments.slice(0, 2) : segments.slice(0, 1)).join(" ");
  return name.replace(/(^|[\s-])(\w)/g, (_, sep: string, ch: string) => `${sep === "-" ? " " : sep}${ch.toUpperCase()}`);
}

function groupByStatus(codes: Iterable<ErrorCode>): Map<string, ErrorCode[]> {
  const byStatus = new Map<string, ErrorCode[]>();
  for (const code of [...codes].sort()) {
    const status = String(ERROR_CODES[code][0]);
    byStatus.set(status, [...(byStatus.get(status) ?? []), code]);
  }
  return new Map([...byStatus].sort(([a], [b]) => Number(a) - Number(b)));
}

function rateLimitHeaders(tooMany: boolean): Record<string, OpenAPIV3_1.ReferenceObject> {
  const headers: Record<string, OpenAPIV3_1.ReferenceObject> = {};
  for (const name of RATE_LIMIT_HEADERS) headers[name] = { $ref: `#/components/headers/${name}` };
  if (tooMany) headers["Retry-After"] = { $ref: "#/components/headers/Retry-After" };
  return headers;
}

function problemResponse(status: number, codes: ErrorCode[], rateLimited: boolean): OpenAPIV3_1.ResponseObject {
  const examples: Record<string, OpenAPIV3_1.ReferenceObject> = {};
  for (const code of codes) examples[code] = { $ref: `#/components/examples/${code}` };
  return {
    description: codes.map((code) => `\`${code}\``).join(", "),
    ...(rateLimited ? { headers: rateLimitHeaders(status === 429) } : {}),
    content: {
      "application/problem+json": {
        schema: {
          allOf: [
            { $ref: "#/components/schemas/Problem" },
            { type: "object", properties: { status: { const: status }, code: { enum: codes } } },
          ],
        },
        examples,
      },
    },
  };
}

/** One example problem per code, referenced by every response that can carry it. */
function problemExamples(): Record<string, OpenAPIV3_1.ExampleObject> {
  const examples: Record<string, OpenAPIV3_1.ExampleObject> = {};
  for (const [code, [status, title]] of Object.entries(ERROR_CODES)) {
    examples[code] = {
      summary: title,
      value: { type: `urn:proctor:problem:${code}`, title, status, detail: title, code, requestId: "req_01JD8X2V3K4M5N6P7Q8R9S0T1U" },
    };
  }
  return examples;
}
