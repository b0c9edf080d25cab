import { loadConfig } from "../../config";
import type { Env } from "../../env";

/** What a request's address is when none can be trusted: every such request shares the per-IP buckets. */
const UNKNOWN_IP = "0.0.0.0";

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
/** Hex groups and colons, optionally ending in a dotted quad; `URL` then checks it is a real address. */
const IPV6_CHARACTERS = /^[0-9A-Fa-f:.]{2,45}$/;

/** The address in canonical form (IPv6 compressed and lower-cased), or null when `value` is not one. */
function parseIp(value: string): string | null {
  if (IPV4.test(value)) return value;
  if (!value.includes(":") || !IPV6_CHARACTERS.test(value)) return null;
  try {
    return new URL(`http://[${value}]/`).hostname.slice(1, -1);
  } catch {
    return null;
  }
}

/**
 * The client's address. Cloudflare's edge sets `CF-Connecting-IP` on every request it forwards and
 * overwrites any value a client sent, so it is trusted unless `TRUST_CF_CONNECTING_IP` is `false`
 * (a deployment where the header can reach the Worker from elsewhere). `X-Forwarded-For` and the like
 * are never read: they are whatever the client says. A value that is not an IP address counts as unknown.
 */
export function clientIp(headers: Headers, trustCfConnectingIp: boolean): string {
  if (!trustCfConnectingIp) return UNKNOWN_IP;
  const value = headers.get("CF-Connecting-IP");
  return (value ? parseIp(value.trim()) : null) ?? UNKNOWN_IP;
}

/** The setting for this environment; an invalid configuration trusts nothing (`services()` then answers 503). */
export function trustsCfConnectingIp(env: Env): boolean {
  try {
    return loadConfig(env).trustCfConnectingIp;
  } catch {
    return false;
  }
}
