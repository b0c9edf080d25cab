import type { MiddlewareHandler } from "hono";
import type { VerifiedEmailGate } from "../../config";
import type { AppEnv } from "../../env";
import { ApiError } from "../../lib/errors";
import { authOf } from "../auth";

/**
 * Refuses an account whose address is unverified, when REQUIRE_VERIFIED_EMAIL names this gate (it
 * names none by default, so existing clients keep working). Place after the auth checks.
 */
export const requireVerifiedEmail = (gate: VerifiedEmailGate): MiddlewareHandler<AppEnv> =>
  async function requireVerifiedEmail(c, next) {
    if (c.var.config.email.requireVerified.has(gate) && authOf(c).user.emailVerifiedAt === null) {
      throw new ApiError("email_not_verified", "Verify your email address first: POST /v1/auth/verify-email/resend mails a new link.", {
        extensions: { gate },
      });
    }
    return next();
  };
