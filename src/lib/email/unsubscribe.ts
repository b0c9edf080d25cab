import { hmacKey } from "../auth/hmac-key";
import { base64UrlDecode, base64UrlEncode } from "../auth/tokens";
import { NOTIFICATION_KINDS, type NotificationKind } from "./preferences";

/**
 * One-click unsubscribe links (RFC 8058) work without signing in, so the link itself is the proof:
 * `<user id>.<kind>.<HMAC-SHA256 under EMAIL_LINK_SECRET>`. Stateless, so a link in an old mail keeps
 * working; it can only ever turn one kind of mail off for one user.
 */
const DOMAIN = "proctor-unsubscribe/v1";
const TOKEN_SHAPE = /^(usr_[0-9A-Z]{26})\.([A-Za-z]{1,40})\.([A-Za-z0-9_-]{43})$/;
const encoder = new TextEncoder();
const signed = (userId: string, kind: string) => encoder.encode(`${DOMAIN}\n${userId}\n${kind}`);

export async function unsubscribeToken(secret: string, userId: string, kind: NotificationKind): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), signed(userId, kind));
  return `${userId}.${kind}.${base64UrlEncode(new Uint8Array(mac))}`;
}

/** The user and kind a genuine token names, or null for anything else. */
export async function readUnsubscribeToken(secret: string, token: string): Promise<{ userId: string; kind: NotificationKind } | null> {
  const match = TOKEN_SHAPE.exec(token);
  if (!match) return null;
  const [, userId, kind, signature] = match as unknown as [string, string, string, string];
  if (!(NOTIFICATION_KINDS as readonly string[]).includes(kind)) return null;
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), base64UrlDecode(signature), signed(userId, kind));
  return ok ? { userId, kind: kind as NotificationKind } : null;
}
