import { hmacKey } from "../auth/hmac-key";
import { base64UrlDecode, base64UrlEncode } from "../auth/tokens";

/** How long a download link works: long enough to click, short enough that a leaked link soon dies. */
const DOWNLOAD_LINK_TTL_MS = 10 * 60_000;

/**
 * A download link is its own proof, like a presigned URL: `expires` (epoch ms) and an HMAC-SHA256
 * under EXPORT_LINK_SECRET over the export id and that expiry. Only the owner (or an admin) can have
 * one minted; changing the id or the expiry breaks the signature, and an expired link is refused.
 */
const DOMAIN = "proctor-export-download/v1";
const SIGNATURE_SHAPE = /^[A-Za-z0-9_-]{43}$/;
const encoder = new TextEncoder();
const signed = (exportId: string, expiresAt: number) => encoder.encode(`${DOMAIN}\n${exportId}\n${expiresAt}`);

export async function signDownloadLink(
  settings: { linkSecret: string; apiUrl: string },
  exportId: string,
  now: number,
): Promise<{ url: string; expiresAt: number }> {
  const expiresAt = now + DOWNLOAD_LINK_TTL_MS;
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(settings.linkSecret), signed(exportId, expiresAt));
  const query = new URLSearchParams({ expires: String(expiresAt), signature: base64UrlEncode(new Uint8Array(mac)) });
  return { url: `${settings.apiUrl}/v1/exports/${exportId}/download?${query}`, expiresAt };
}

export type LinkVerdict = "valid" | "expired" | "invalid";

/** Whether a link's `expires` and `signature` are genuine for this export and still current. */
export async function verifyDownloadLink(
  linkSecret: string,
  exportId: string,
  expires: number,
  signature: string,
  now: number,
): Promise<LinkVerdict> {
  if (!SIGNATURE_SHAPE.test(signature)) return "invalid";
  const genuine = await crypto.subtle.verify("HMAC", await hmacKey(linkSecret), base64UrlDecode(signature), signed(exportId, expires));
  if (!genuine) return "invalid";
  return expires > now ? "valid" : "expired";
}
