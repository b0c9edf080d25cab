import { base64Decode, base64Encode, randomBytes } from "../auth/tokens";

const WEBHOOK_SECRET_PREFIX = "whsec_";
/** Standard Webhooks allows 24–64 bytes; 32 is the common choice. */
const SECRET_BYTES = 32;
const ENCRYPTION_VERSION = "v1";
const encoder = new TextEncoder();

/** A new signing secret: `whsec_` + base64 of 32 random bytes. Shown to its owner once. */
export function newWebhookSecret(): string {
  return WEBHOOK_SECRET_PREFIX + base64Encode(randomBytes(SECRET_BYTES));
}

async function encryptionKey(keyBase64: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", base64Decode(keyBase64), "AES-GCM", false, ["encrypt", "decrypt"]);
}

/**
 * Secrets must stay usable for signing, so they are encrypted (AES-256-GCM, key from the
 * WEBHOOK_SECRET_KEY secret setting) rather than hashed: a leaked table alone signs nothing.
 * Stored as `v1.<iv>.<ciphertext>` (base64).
 */
export async function encryptWebhookSecret(keyBase64: string, secret: string): Promise<string> {
  const iv = randomBytes(12);
  const sealed = await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await encryptionKey(keyBase64), encoder.encode(secret));
  return `${ENCRYPTION_VERSION}.${base64Encode(iv)}.${base64Encode(new Uint8Array(sealed))}`;
}

export async function decryptWebhookSecret(keyBase64: string, stored: string): Promise<string> {
  const [version, iv, sealed] = stored.split(".");
  if (version !== ENCRYPTION_VERSION || !iv || !sealed) throw new Error("Unreadable webhook secret");
  const plain = await crypto.subtle.decrypt(
    { name: "AES-GCM", iv: base64Decode(iv) },
    await encryptionKey(keyBase64),
    base64Decode(sealed),
  );
  return new TextDecoder().decode(plain);
}

/** One Standard Webhooks signature: `v1,` + base64 HMAC-SHA256 of `{id}.{timestamp}.{body}` under the secret's bytes. */
export async function signWebhook(secret: string, messageId: string, timestampSeconds: number, body: string): Promise<string> {
  const keyBytes = base64Decode(secret.startsWith(WEBHOOK_SECRET_PREFIX) ? secret.slice(WEBHOOK_SECRET_PREFIX.length) : secret);
  const key = await crypto.subtle.importKey("raw", keyBytes, { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(`${messageId}.${timestampSeconds}.${body}`));
  return `v1,${base64Encode(new Uint8Array(mac))}`;
}

/** Is this a usable encryption key: base64 of exactly 32 bytes? */
export function isWebhookEncryptionKey(value: string): boolean {
  try {
    return base64Decode(value).length === 32;
  } catch {
    return false;
  }
}
