import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { $ZodIssue } from "zod/v4/core";

/**
 * The closed set of error codes a client can receive, each with its HTTP status and title.
 * A code is a stable contract: clients switch on it, so never rename one.
 */
export const ERROR_CODES = {
  bad_request: [400, "Bad request"],
  malformed_json: [400, "Malformed JSON"],
  validation_failed: [400, "Validation failed"],
  invalid_token: [400, "Invalid or expired token"],
  unauthenticated: [401, "Unauthenticated"],
  invalid_credentials: [401, "Invalid credentials"],
  key_revoked: [401, "API key revoked"],
  key_expired: [401, "API key expired"],
  session_expired: [401, "Session expired"],
  forbidden: [403, "Forbidden"],
  insufficient_scope: [403, "Insufficient scope"],
  csrf_failed: [403, "CSRF check failed"],
  email_not_verified: [403, "Email not verified"],
  not_found: [404, "Not found"],
  method_not_allowed: [405, "Method not allowed"],
  conflict: [409, "Conflict"],
  gone: [410, "Gone"],
  payload_too_large: [413, "Payload too large"],
  unsupported_media_type: [415, "Unsupported media type"],
  unsupported_file_type: [415, "Unsupported file type"],
  malicious_file: [422, "Malicious file"],
  unprocessable: [422, "Unprocessable request"],
  rate_limited: [429, "Too many requests"],
  quota_exceeded: [429, "Quota exceeded"],
  internal_error: [500, "Internal server error"],
  misconfigured: [500, "Server misconfigured"],
  service_unavailable: [503, "Service unavailable"],
  ai_unavailable: [503, "AI unavailable"],
} as const satisfies Record<string, readonly [ContentfulStatusCode, string]>;

export type ErrorCode = keyof typeof ERROR_CODES;

export interface FieldError {
  path: string;
  message: string;
}

export interface ApiErrorOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  /** Extra members placed in the problem body (RFC 9457 extension members). */
  extensions?: Record<string, unknown>;
  cause?: unknown;
}

/** The one error type routes throw; the app's error handler turns it into problem+json. */
export class ApiError extends Error {
  readonly code: ErrorCode;
  readonly status: ContentfulStatusCode;
  readonly title: string;
  readonly errors?: FieldError[];
  readonly headers?: Record<string, string>;
  readonly extensions?: Record<string, unknown>;

  constructor(code: ErrorCode, detail?: string, options: ApiErrorOptions = {}) {
    const [status, title] = ERROR_CODES[code];
    super(detail ?? title, { cause: options.cause });
    this.name = "ApiError";
    this.code = code;
    this.status = status;
    this.title = title;
    this.errors = options.errors;
    this.headers = options.headers;
    this.extensions = options.extensions;
  }

  static validation(errors: FieldError[], detail = "The request did not pass validation.") {
    return new ApiError("validation_failed", detail, { errors });
  }

  static notFound(what = "resource") {
    return new ApiError("not_found", `The ${what} was not found.`);
  }
}

export function zodIssuesToFieldErrors(issues: readonly $ZodIssue[]): FieldError[] {
  return issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    message: issue.message,
  }));
}

interface ProblemBody {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: ErrorCode;
  requestId: string | undefined;
  errors?: FieldError[];
  [extension: string]: unknown;
}

function problemBody(error: ApiError, requestId: string | undefined): ProblemBody {
  return {
    ...error.extensions,
    type: `urn:proctor:problem:${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.message,
    code: error.code,
    requestId,
    ...(error.errors ? { errors: error.errors } : {}),
  };
}

/** Renders an ApiError as an RFC 9457 `application/problem+json` response. */
export function problemResponse(c: Context, error: ApiError): Response {
  const body = problemBody(error, c.get("requestId") as string | undefined);
  const headers = new Headers(error.headers);
  headers.set("Content-Type", "application/problem+json");
  headers.set("Cache-Control", "no-store");
  return c.body(JSON.stringify(body), error.status, Object.fromEntries(headers));
}
