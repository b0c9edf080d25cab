import type { MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { CSRF_COOKIE } from "../lib/auth/cookies";
import { ConsoleApi, type Dispatch } from "./api";
import type { ConsoleEnv } from "./env";
import { refusalPage } from "./pages/sign-in";

/** Gives every console route the API client, acting as whoever the request's cookies say. */
export const consoleApi = (dispatch: Dispatch): MiddlewareHandler<ConsoleEnv> => {
  return async function consoleApi(c, next) {
    c.set("api", new ConsoleApi(c, dispatch));
    await next();
  };
};

/**
 * Admins only, signed in with the session cookie (the app's auth middleware has already read it):
 * anyone else is sent to sign in, a signed-in non-admin gets a refusal page. Makes sure the browser
 * holds a CSRF token for the page's forms, minting one through the API when it does not.
 *
 * A form post passes: the auth middleware does not take a cookie for a state change without the
 * CSRF header, so the action's own API request (which carries the form's token) decides, refusing
 * anyone but an admin exactly as it would refuse them on the JSON API.
 */
export const requireConsoleAdmin = (): MiddlewareHandler<ConsoleEnv> => {
  return async function requireConsoleAdmin(c, next) {
    if (c.req.method === "POST") return next();
    const auth = c.var.auth;
    if (auth?.kind !== "session") {
      const back = `?next=${encodeURIComponent(c.req.path + new URL(c.req.url).search)}`;
      return c.redirect(`/admin/sign-in${back}`, 303);
    }
    let token = getCookie(c, CSRF_COOKIE);
    if (!token) {
      const minted = await c.var.api.raw("GET", "/v1/auth/csrf");
      for (const cookie of minted.headers.getSetCookie()) c.header("Set-Cookie", cookie, { append: true });
      token = ((await minted.json()) as { csrfToken: string }).csrfToken;
    }
    c.set("csrfToken", token);
    if (auth.role !== "admin") return c.html(refusalPage(auth.user.name, token), 403);
    await next();
  };
};
