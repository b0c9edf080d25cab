import { awaitShared } from "../await-shared";

const encoder = new TextEncoder();
const imported = new Map<string, Promise<CryptoKey>>();

/** The HMAC-SHA256 key for a secret setting, imported once per isolate (signing tokens and links is on request paths). */
export function hmacKey(secret: string): Promise<CryptoKey> {
  let key = imported.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    imported.set(secret, key);
  }
  return awaitShared(key);
}
