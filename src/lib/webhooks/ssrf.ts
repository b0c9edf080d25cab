/**
 * Where a webhook may point. Checked when an endpoint is saved and again before every delivery (the
 * settings, or the rules, may have changed since). Only https on port 443, and never an address
 * inside a private network: IP literals in private, loopback, link-local, CGNAT, multicast,
 * reserved or cloud-metadata ranges, `localhost` and `*.internal` names are refused.
 * `allowLoopback` (WEBHOOK_ALLOW_LOOPBACK, never in production) admits `http` and loopback targets
 * (127.0.0.0/8, ::1) on any port, and nothing else, so local runs and tests can use a local receiver.
 *
 * A host name that resolves to a private address cannot be caught here (a Worker cannot resolve
 * DNS before fetching); in production Cloudflare's fetch does not reach private networks.
 */
export interface UrlPolicy {
  allowLoopback: boolean;
}

export type UrlVerdict = { ok: true; url: URL } | { ok: false; reason: string };

const refuse = (reason: string): UrlVerdict => ({ ok: false, reason });

/** IPv4 ranges no webhook may target, as [first octets, prefix length, name]. */
const BLOCKED_V4: [number[], number, string][] = [
  [[0], 8, "this-network"],
  [[10], 8, "private"],
  [[100, 64], 10, "CGNAT (shared address space)"],
  [[127], 8, "loopback"],
  [[169, 254], 16, "link-local (cloud metadata)"],
  [[172, 16], 12, "private"],
  [[192, 0, 0], 24, "IETF protocol assignments"],
  [[192, 0, 2], 24, "documentation"],
  [[192, 168], 16, "private"],
  [[198, 18], 15, "benchmarking"],
  [[198, 51, 100], 24, "documentation"],
  [[203, 0, 113], 24, "documentation"],
  [[224], 4, "multicast"],
  [[240], 4, "reserved"],
];

function parseV4(host: string): number | null {
  const parts = host.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return null;
  return parts.reduce((acc, p) => acc * 256 + Number(p), 0);
}

function v4Range(address: number): string | null {
  for (const [octets, prefix, name] of BLOCKED_V4) {
    const base = [...octets, 0, 0, 0, 0].slice(0, 4).reduce((acc, o) => acc * 256 + o, 0);
    const size = 2 ** (32 - prefix);
    if (address >= base && address < base + size) return name;
  }
  return null;
}

/** The 8 groups of an IPv6 literal (brackets removed), or null. */
function parseV6(host: string): number[] | null {
  if (!host.includes(":")) return null;
  let text = host;
  const dotted = text.match(/(\d+\.\d+\.\d+\.\d+)$/);
  if (dotted) {
    const v4 = parseV4(dotted[1]!);
    if (v4 === null) return null;
    text = text.slice(0, -dotted[1]!.length) + `${(v4 >>> 16).toString(16)}:${(v4 & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split("::");
  const h = head ? head.split(":") : [];
  const t = tail ? tail.split(":") : [];
  const missing = text.includes("::") ? 8 - h.length - t.length : 0;
  const groups = [...h, ...Array(missing).fill("0"), ...t].map((g) => parseInt(g, 16));
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : null;
}

function v6Range(g: number[]): string | null {
  if (g.every((x) => x === 0)) return "unspecified";
  if (g.slice(0, 7).every((x) => x === 0) && g[7] === 1) return "loopback";
  // IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible and NAT64 (64:ff9b::/96) carry an IPv4 address.
  const embedsV4 =
    (g.slice(0, 5).every((x) => x === 0) && (g[5] === 0xffff || g[5] === 0)) ||
    (g[0] === 0x64 && g[1] === 0xff9b && g.slice(2, 6).every((x) => x === 0));
  if (embedsV4) return v4Range(g[6]! * 65536 + g[7]!) ?? null;
  if ((g[0]! & 0xfe00) === 0xfc00) return "unique local (private, incl. cloud metadata)";
  if ((g[0]! & 0xffc0) === 0xfe80) return "link-local";
  if ((g[0]! & 0xff00) === 0xff00) return "multicast";
  if (g[0] === 0x2001 && g[1] === 0xdb8) return "documentation";
  return null;
}

export function checkWebhookUrl(raw: string, policy: UrlPolicy): UrlVerdict {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse("is not a valid URL");
  }
  if (url.username || url.password) return refuse("must not carry credentials");
  if (url.protocol !== "https:" && !(policy.allowLoopback && url.protocol === "http:")) return refuse("must use https");
  // The URL parser has already normalised hex, octal and integer IPv4 forms to dotted quads.
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  const bracketed = host.startsWith("[") && host.endsWith("]");
  const v4 = parseV4(host);
  const v6 = bracketed ? parseV6(host.slice(1, -1)) : null;
  if (bracketed && !v6) return refuse("has an invalid IPv6 address");
  const range = v4 !== null ? v4Range(v4) : v6 ? v6Range(v6) : null;
  const loopback = range === "loopback";
  if (policy.allowLoopback && loopback) return { ok: true, url };
  if (range) return refuse(`points to a ${range} address`);
  if (v4 === null && !v6) {
    if (host === "localhost" || host.endsWith(".localhost")) return refuse("points to localhost");
    if (host.endsWith(".internal") || host === "internal") return refuse("points to an internal name");
    if (!host.includes(".")) return refuse("must name a public host");
  }
  if (url.port !== "") return refuse("must use port 443");
  return { ok: true, url };
}
