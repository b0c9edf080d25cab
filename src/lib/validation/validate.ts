import { zValidator } from "@hono/zod-validator";
import type { MiddlewareHandler, ValidationTargets } from "hono";
import { resolver, uniqueSymbol } from "hono-openapi";
import type { ZodType } from "zod";
import { ApiError, zodIssuesToFieldErrors } from "../errors";

const JSON_MEDIA_TYPE = /^application\/([\w.-]+\+)?json$/i;

/** Refuses a body that is not JSON with 415 before validation would report a confusing empty object. */
const requireJson: MiddlewareHandler = async function requireJson(c, next) {
  const mediaType = (c.req.header("Content-Type") ?? "").split(";")[0]!.trim();
  if (!JSON_MEDIA_TYPE.test(mediaType)) {
    throw new ApiError("unsupported_media_type", "The request body must be application/json.");
  }
  await next();
};

/**
 * The zod hook every route uses: a failed parse becomes one `validation_failed` problem listing each
 * `{ path, message }`. For `json`, the content type is checked first (415) and malformed JSON is a
 * `malformed_json` problem (raised by Hono's validator, mapped in the error handler).
 *
 * The middleware carries hono-openapi's marker (the same one its own `validator()` sets), so the
 * schema that validates a request is also what `/openapi.json` documents for it (src/openapi/document.ts).
 */
export function validate<Target extends keyof ValidationTargets, Schema extends ZodType>(target: Target, schema: Schema) {
  const validator = zValidator(target, schema, (result) => {
    if (!result.success) {
      throw ApiError.validation(zodIssuesToFieldErrors(result.error.issues), `Invalid ${target === "json" ? "body" : target}.`);
    }
  });
  const middleware =
    target === "json"
      ? (async function validateJson(c, next) {
          await requireJson(c, () => validator(c, next) as Promise<void>);
        } as typeof validator)
      : validator;
  return Object.assign(middleware, { [uniqueSymbol]: { target, ...resolver(schema) } });
}
