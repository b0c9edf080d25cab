import { eq } from "drizzle-orm";
import type { Context } from "hono";
import { clock, iso } from "../clock";
import { DEVICE_TOKEN_HEADER, readDeviceCookie, setDeviceCookie } from "./cookies";
import { base64UrlDecode, base64UrlEncode, randomBytes } from "./tokens";
import { users } from "../../db/schema";
import type { AppEnv } from "../../env";
import { awaitShared } from "../await-shared";
import { hmacKey } from "./hmac-key";

/**
 * Device tokens (OWASP's "device cookies"): a successful login hands the client a token signed for
 * that account. A login that presents a valid one is counted in the token's own rate-limit bucket
 * instead of the account's, so strangers who exhaust an account's login limit cannot lock its owner
 * out. The token is stateless: HMAC-SHA256 over the account's email, user id, issue and expiry times
 * and a nonce; it is withdrawn by `users.trusted_devices_reset_at` (password change, forced sign-out).
 */
const DEVICE_TOKEN_PREFIX = "dt_";
export const DEVICE_TOKEN_TTL_SECONDS = 90 * 86_400;
const SIGNATURE_DOMAIN = "proctor-device-token/v1";
const NONCE_BYTES = 16;

/** `dt_<user id>.<issued at, ms>.<expires at, ms>.<nonce>.<signature>` */
const DEVICE_TOKEN_SHAPE = /^dt_(usr_[0-9A-Z]{26})\.(\d{13})\.(\d{13})\.([A-Za-z0-9_-]{22})\.([A-Za-z0-9_-]{43})$/;

const encoder = new TextEncoder();
let isolateKey: Promise<CryptoKey> | undefined;

/**
 * The HMAC key for `secret`. Without one (development and test only; `loadConfig` refuses staging and
 * production) this isolate makes a random key: its tokens stop being trusted when the isolate ends.
 */
function signingKey(secret: string | null): Promise<CryptoKey> {
  if (secret !== null) return hmacKey(secret);
  isolateKey ??= crypto.subtle.generateKey({ name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]) as Promise<CryptoKey>;
  return awaitShared(isolateKey);
}

const signedText = (email: string, body: string) => encoder.encode(`${SIGNATURE_DOMAIN}\n${email}\n${body}`);

export interface DeviceToken {
  token: string;
  expiresAt: number;
}

async function issueDeviceToken(secret: string | null, account: { id: string; email: string }, now: number): Promise<DeviceToken> {
  const expiresAt = now + DEVICE_TOKEN_TTL_SECONDS * 1000;
  const body = `${account.id}.${now}.${expiresAt}.${base64UrlEncode(randomBytes(NONCE_BYTES))}`;
  const signature = new Uint8Array(await crypto.subtle.sign("HMAC", await signingKey(secret), signedText(account.email, body)));
  return { token: `${DEVICE_TOKEN_PREFIX}${body}.${base64UrlEncode(signature)}`, expiresAt };
}

interface DeviceClaims {
  userId: string;
  issuedAt: number;
  /** Names the token's own rate-limit bucket. */
  nonce: string;
}

/** The token's claims when it is well formed, signed by us for `email` and not expired; else null. */
async function verifyDeviceToken(secret: string | null, token: string, email: string, now: number): Promise<DeviceClaims | null> {
  const match = DEVICE_TOKEN_SHAPE.exec(token);
  if (!match) return null;
  const [, userId, issued, expires, nonce, signature] = match as unknown as [string, string, string, string, string, string];
  const issuedAt = Number(issued);
  if (Number(expires) <= now) return null;
  const body = token.slice(DEVICE_TOKEN_PREFIX.length, token.lastIndexOf("."));
  // crypto.subtle.verify compares in constant time.
  const valid = await crypto.subtle.verify("HMAC", await signingKey(secret), base64UrlDecode(signature), signedText(email, body));
  return valid ? { userId, issuedAt, nonce } : null;
}

/**
 * The bucket id of the device token this login request presents (the `X-Device-Token` header, else
 * the `__Host-proctor_device` cookie), when it is valid for `email`'s account and was issued after the
 * account last withdrew its devices' trust; else null. Reads D1 only for a correctly signed token.
 */
export async function trustedDevice(c: Context<AppEnv>, email: string): Promise<string | null> {
  const token = c.req.header(DEVICE_TOKEN_HEADER) ?? readDeviceCookie(c);
  if (!token) return null;
  const claims = await verifyDeviceToken(c.var.config.deviceTokenSecret, token, email, clock.now());
  if (!claims) return null;
  const account = await c.var.db
    .select({ id: users.id, resetAt: users.trustedDevicesResetAt })
    .from(users)
    .where(eq(users.email, email))
    .get();
  if (!account || account.id !== claims.userId) return null;
  if (account.resetAt !== null && claims.issuedAt < account.resetAt) return null;
  return claims.nonce;
}

/** Issues a device token for `account`: as the browser's cookie, and returned for the JSON body. */
export async function grantDeviceToken(c: Context<AppEnv>, account: { id: string; email: string }, now: number) {
  const { token, expiresAt } = await issueDeviceToken(c.var.config.deviceTokenSecret, account, now);
  setDeviceCookie(c, token, DEVICE_TOKEN_TTL_SECONDS);
  return { deviceToken: token, deviceTokenExpiresAt: iso(expiresAt) };
}
