import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { ApiError, problemResponse, zodIssuesToFieldErrors } from "../../lib/errors";
import { reportError } from "../../lib/monitoring/report";
import type { AppEnv } from "../../env";

/** Errors Hono itself raises, mapped onto our codes. */
function fromHttpException(error: HTTPException): ApiError {
  if (error.status === 400 && /malformed json/i.test(error.message)) {
    return new ApiError("malformed_json", "The request body is not valid JSON.");
  }
  if (error.status === 400) return new ApiError("bad_request", error.message || undefined);
  if (error.status === 401) return new ApiError("unauthenticated");
  if (error.status === 403) return new ApiError("forbidden");
  if (error.status === 404) return new ApiError("not_found");
  if (error.status === 413) return new ApiError("payload_too_large");
  if (error.status === 415) return new ApiError("unsupported_media_type");
  return new ApiError("internal_error", "Something went wrong on our side.");
}

function isZodError(error: unknown): error is Error & { issues: Parameters<typeof zodIssuesToFieldErrors>[0] } {
  return error instanceof Error && error.name === "ZodError" && Array.isArray((error as { issues?: unknown }).issues);
}

/**
 * The app's one error handler: every failure leaves as problem+json. Known errors keep their code;
 * anything else is a 500 `internal_error` whose details go to error tracking, never to the client.
 */
export const errorHandler = (): ErrorHandler<AppEnv> => {
  return function errorHandler(error, c) {
    if (error instanceof ApiError) {
      if (error.status >= 500) reportError(c, error, "error");
      return problemResponse(c, error);
    }
    if (error instanceof HTTPException) return problemResponse(c, fromHttpException(error));
    if (isZodError(error)) return problemResponse(c, ApiError.validation(zodIssuesToFieldErrors(error.issues)));
    reportError(c, error, "critical");
    return problemResponse(c, new ApiError("internal_error", "Something went wrong on our side."));
  };
};

export const notFoundHandler = (): NotFoundHandler<AppEnv> => {
  return function notFound(c: Context<AppEnv>) {
    return problemResponse(c, new ApiError("not_found", `No route matches ${c.req.method} ${c.req.path}.`));
  };
};
