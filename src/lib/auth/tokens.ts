/**
 * Secret formats and the primitives around them. A secret is shown to its owner once and stored only
 * as a SHA-256 hash: the secrets are 256 random bits, so a fast unsalted hash is enough to make a
 * stolen table useless, and it lets us look a credential up by its hash.
 */

const SESSION_TOKEN_PREFIX = "st_";
const API_KEY_PREFIX = "pk_";
/** Characters of an API key kept in clear (`pk_` + 8) so owners can tell their keys apart in listings. */
const API_KEY_DISPLAY_PREFIX_LENGTH = 11;

const SECRET_BYTES = 32;
const BASE58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
const encoder = new TextEncoder();

export function randomBytes(length = SECRET_BYTES): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(length));
}

export function base64UrlEncode(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll("+", "-").replaceAll("/", "_").replace(/=+$/, "");
}

export function base64Encode(bytes: Uint8Array): string {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function base64Decode(value: string): Uint8Array {
  return Uint8Array.from(atob(value), (ch) => ch.charCodeAt(0));
}

/** The inverse of `base64UrlEncode`; throws on characters outside the alphabet. */
export function base64UrlDecode(value: string): Uint8Array {
  const standard = value.replaceAll("-", "+").replaceAll("_", "/");
  return base64Decode(standard + "=".repeat((4 - (standard.length % 4)) % 4));
}

/** Bitcoin-style base58 (no 0, O, I, l): unambiguous to read aloud and copy, no URL escaping needed. */
export function base58Encode(bytes: Uint8Array): string {
  let value = 0n;
  for (const byte of bytes) value = (value << 8n) | BigInt(byte);
  let out = "";
  while (value > 0n) {
    out = BASE58_ALPHABET[Number(value % 58n)] + out;
    value /= 58n;
  }
  for (const byte of bytes) {
    if (byte !== 0) break;
    out = BASE58_ALPHABET[0] + out;
  }
  return out;
}

/** `st_` + 32 random bytes in base64url. */
export function newSessionToken(): string {
  return SESSION_TOKEN_PREFIX + base64UrlEncode(randomBytes());
}

/** `pk_` + 32 random bytes in base58. */
export function newApiKeySecret(): string {
  return API_KEY_PREFIX + base58Encode(randomBytes());
}

export function apiKeyDisplayPrefix(key: string): string {
  return key.slice(0, API_KEY_DISPLAY_PREFIX_LENGTH);
}

/** Cheap shape checks so garbage never costs a database round trip. */
export const SESSION_TOKEN_SHAPE = /^st_[A-Za-z0-9_-]{43}$/;
/** 32 bytes are 32 (all zero) to 44 base58 digits. */
export const API_KEY_SHAPE = /^pk_[1-9A-HJ-NP-Za-km-z]{32,44}$/;

export async function sha256Hex(value: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(value)));
  let hex = "";
  for (const byte of digest) hex += byte.toString(16).padStart(2, "0");
  return hex;
}

/** Compares in time that depends only on the lengths, never on where the first difference is. */
export function timingSafeEqualBytes(a: Uint8Array, b: Uint8Array): boolean {
  let diff = a.length ^ b.length;
  const length = Math.max(a.length, b.length);
  for (let i = 0; i < length; i++) diff |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return diff === 0;
}

export function timingSafeEqual(a: string, b: string): boolean {
  return timingSafeEqualBytes(encoder.encode(a), encoder.encode(b));
}
