import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../env";

/**
 * `__Host-` cookies must be Secure, Path=/ and carry no Domain, so a sibling subdomain can neither
 * read nor plant them (which is what makes the double-submit CSRF token trustworthy).
 */
export const SESSION_COOKIE = "__Host-proctor_session";
export const CSRF_COOKIE = "__Host-proctor_csrf";
export const CSRF_HEADER = "X-CSRF-Token";
/** Where a browser keeps its device token; API clients send the token in `DEVICE_TOKEN_HEADER` instead. */
const DEVICE_COOKIE = "__Host-proctor_device";
export const DEVICE_TOKEN_HEADER = "X-Device-Token";

export function readSessionCookie(c: Context<AppEnv>): string | undefined {
  return getCookie(c, SESSION_COOKIE);
}

export function setSessionCookie(c: Context<AppEnv>, token: string, maxAgeSeconds: number): void {
  setCookie(c, SESSION_COOKIE, token, { path: "/", httpOnly: true, secure: true, sameSite: "Lax", maxAge: maxAgeSeconds });
}

export function clearSessionCookie(c: Context<AppEnv>): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/", secure: true, httpOnly: true, sameSite: "Lax" });
}

export function readCsrfCookie(c: Context<AppEnv>): string | undefined {
  return getCookie(c, CSRF_COOKIE);
}

/** HttpOnly too: clients take the token from the body of `GET /v1/auth/csrf`, not from document.cookie. */
export function setCsrfCookie(c: Context<AppEnv>, token: string, maxAgeSeconds: number): void {
  setCookie(c, CSRF_COOKIE, token, { path: "/", httpOnly: true, secure: true, sameSite: "Lax", maxAge: maxAgeSeconds });
}

export function readDeviceCookie(c: Context<AppEnv>): string | undefined {
  return getCookie(c, DEVICE_COOKIE);
}

/** Strict: only our own pages ever sign in, so the token never rides along on a cross-site request. */
export function setDeviceCookie(c: Context<AppEnv>, token: string, maxAgeSeconds: number): void {
  setCookie(c, DEVICE_COOKIE, token, { path: "/", httpOnly: true, secure: true, sameSite: "Strict", maxAge: maxAgeSeconds });
}
