import type { Context } from "hono";
import { ApiError } from "../errors";
import type { AuthContext } from "../auth/context";
import type { AppEnv } from "../../env";

/** The authenticated caller; routes behind requireScope/requireRole always have one. */
export function caller(c: Context<AppEnv>): AuthContext {
  const auth = c.get("auth");
  if (!auth) throw new ApiError("unauthenticated", "Sign in or send an API key.");
  return auth;
}

export const isAdmin = (auth: AuthContext) => auth.role === "admin";

/** Owners and admins manage a resource; everyone else is told it does not exist. */
export function canManage(auth: AuthContext, ownerId: string): boolean {
  return isAdmin(auth) || auth.userId === ownerId;
}
