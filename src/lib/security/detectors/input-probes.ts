import type { Context } from "hono";
import type { AppEnv } from "../../../env";
import { writeSecurityEvent } from "../events";
import { redact } from "../redact";
import { decodeEntities } from "../sanitize";
import { QuietPeriod } from "../quiet-period";

type ProbeType = "xss_attempt" | "sql_injection_attempt";

interface ProbeRule {
  type: ProbeType;
  name: string;
  pattern: RegExp;
}

/**
 * Signatures of scanner and hand-made probes, chosen for a low false-positive rate on exam content:
 * each needs attack syntax (a tag with a handler, a quote closing a literal before SQL, a tautology
 * whose two sides are the same token), not merely words like "select" or "script". Quantifiers are
 * bounded and never nested over the same characters (`(?:\s|…){1,30}`, not `(?:\s{1,10}){1,10}`), so
 * a hostile value cannot make a regex backtrack for long.
 */
const RULES: ProbeRule[] = [
  { type: "xss_attempt", name: "script_tag", pattern: /<\s{0,5}\/?\s{0,5}script\b/i },
  { type: "xss_attempt", name: "event_handler", pattern: /<[a-z][a-z0-9-]{0,20}\b[^<>]{0,300}?[\s/"'](on[a-z]{3,25})\s{0,5}=/i },
  { type: "xss_attempt", name: "script_url", pattern: /\b(?:javascript|vbscript|livescript)\s{0,5}:|\bdata\s{0,5}:\s{0,5}text\/html/i },
  { type: "xss_attempt", name: "embedding_tag", pattern: /<\s{0,5}(?:iframe|object|embed|frameset|base|applet)\b/i },
  { type: "xss_attempt", name: "svg_handler", pattern: /<\s{0,5}svg\b[^<>]{0,300}?\bon[a-z]{3,25}\s{0,5}=/i },
  {
    type: "xss_attempt",
    name: "dom_sink",
    pattern: /\bdocument\s{0,5}\.\s{0,5}(?:cookie|domain|write\s{0,5}\()|\bString\s{0,5}\.\s{0,5}fromCharCode\s{0,5}\(/i,
  },
  {
    type: "xss_attempt",
    name: "alert_probe",
    pattern: /\b(?:alert|prompt|confirm)\s{0,5}(?:\(|`)\s{0,5}(?:\d{1,6}|document\b|origin\b|window\b|['"`]?xss)/i,
  },
  {
    type: "sql_injection_attempt",
    name: "union_select",
    pattern:
      /(?:['"`)]|\b\d{1,20})\s{0,10}union(?:\s|\+|\/\*[^*]{0,40}\*\/){1,30}(?:all(?:\s|\+|\/\*[^*]{0,40}\*\/){1,30})?select\b|\bunion(?:\s|\/\*[^*]{0,40}\*\/){1,30}(?:all\s{1,10})?select\s{1,10}(?:null\b|\d{1,6}\s{0,5},|@@|char\s{0,5}\(|concat)/i,
  },
  {
    type: "sql_injection_attempt",
    name: "quoted_tautology",
    pattern: /['"`]\s{0,5}\)?\s{0,5}(?:or|and|\|\||&&)\s{1,5}\(?\s{0,5}(['"`]?)(\w{1,20})\1\s{0,5}(?:=|<>|!=|\blike\b)\s{0,5}(['"`]?)\2\b/i,
  },
  {
    type: "sql_injection_attempt",
    name: "leading_tautology",
    pattern: /^\s{0,5}-?\d{0,20}\s{1,5}(?:or|and)\s{1,5}(\d{1,10})\s{0,5}=\s{0,5}\1\b/i,
  },
  {
    type: "sql_injection_attempt",
    name: "stacked_query",
    pattern: /['"`)]\s{0,5};\s{0,5}(?:drop|delete|insert|update|alter|truncate|exec|execute|shutdown|declare|create)\s/i,
  },
  { type: "sql_injection_attempt", name: "comment_terminator", pattern: /['"`]\s{0,5}\)?\s{0,5}(?:--[\s-]{0,5}$|#\s{0,5}$|\/\*)/ },
  {
    type: "sql_injection_attempt",
    name: "time_delay",
    pattern: /\b(?:pg_)?sleep\s{0,5}\(\s{0,5}\d{1,3}\s{0,5}\)|\bbenchmark\s{0,5}\(\s{0,5}\d{4,}|\bwaitfor\s{1,5}delay\s{1,5}'/i,
  },
  {
    type: "sql_injection_attempt",
    name: "schema_probe",
    pattern:
      /\binformation_schema\s{0,5}\.|\bsqlite_(?:master|schema)\b|\bxp_cmdshell\b|\bload_file\s{0,5}\(|\binto\s{1,5}(?:out|dump)file\b|@@version\b/i,
  },
];

export interface ProbeFinding {
  type: ProbeType;
  rule: string;
  /** Where the value was: `query.q`, `body.items.0.title`, `body` for an unparsable body. */
  location: string;
  /** The text around the match, for the operator reading the event. */
  sample: string;
}

/** Bounds on how much of a request is inspected: probes are short, bodies may not be. */
const MAX_VALUES = 500;
const MAX_VALUE_CHARS = 4096;
const MAX_DEPTH = 12;

/** The spellings a probe hides behind: double URL-encoding and HTML character references. */
function normalise(value: string): string {
  let text = value.length > MAX_VALUE_CHARS ? value.slice(0, MAX_VALUE_CHARS) : value;
  if (/%[0-9a-f]{2}/i.test(text)) {
    try {
      text = decodeURIComponent(text);
    } catch {
      // Not valid percent-encoding: inspect it as written.
    }
  }
  if (text.includes("&")) text = decodeEntities(text);
  return text.replace(/\u0000/g, "");
}

/** Every string (and object key) in a parsed JSON value, with its path, up to the bounds. */
function collectStrings(value: unknown, path: string, out: [string, string][], depth = 0): void {
  if (out.length >= MAX_VALUES || depth > MAX_DEPTH) return;
  if (typeof value === "string") {
    out.push([path, value]);
  } else if (Array.isArray(value)) {
    value.forEach((item, i) => {
      collectStrings(item, `${path}.${i}`, out, depth + 1);
    });
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      out.push([`${path}.${key}(key)`, key]);
      collectStrings(item, `${path}.${key}`, out, depth + 1);
    }
  }
}

/** Checks labelled values; returns the first finding of each probe type. */
function scanValues(values: [string, string][]): ProbeFinding[] {
  const found = new Map<ProbeType, ProbeFinding>();
  for (const [location, raw] of values) {
    if (found.size === 2) break;
    const text = normalise(raw);
    for (const rule of RULES) {
      if (found.has(rule.type)) continue;
      const match = rule.pattern.exec(text);
      if (!match) continue;
      const start = Math.max(0, match.index - 40);
      found.set(rule.type, { type: rule.type, rule: rule.name, location, sample: text.slice(start, match.index + match[0].length + 40) });
    }
  }
  return [...found.values()];
}

/**
 * Probes in a request's query string and JSON body. Secret-named fields (passwords, tokens) are
 * redacted before scanning: a password may legitimately look like anything, and must never be
 * copied into an event. An unparsable body is scanned as one string.
 */
export function findInputProbes(input: { query: Record<string, string[]>; body?: string | null }): ProbeFinding[] {
  const values: [string, string][] = [];
  const query = redact(input.query) as Record<string, unknown>;
  for (const [name, list] of Object.entries(query)) {
    values.push([`query.${name}(key)`, name]);
    if (Array.isArray(list)) for (const value of list) values.push([`query.${name}`, String(value)]);
  }
  if (input.body) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(input.body);
    } catch {
      parsed = undefined;
    }
    if (parsed === undefined) values.push(["body", input.body]);
    else collectStrings(redact(parsed), "body", values);
  }
  return scanValues(values);
}

/** How long one isolate stays quiet about the same probe type from the same IP: scanners send thousands. */
const quiet = new QuietPeriod(60_000);

/**
 * Records one event per probe type found (MEDIUM: a probe is reconnaissance, not yet a breach).
 * Recording only: the request itself is answered as usual, and validation and the sanitiser are
 * what keep the payload harmless.
 */
export async function recordInputProbes(c: Context<AppEnv>, findings: ProbeFinding[], now: number): Promise<number> {
  let recorded = 0;
  const ip = c.var.requestContext.ip;
  for (const finding of findings) {
    if (!quiet.admit(`${finding.type}:${ip}`, now)) continue;
    await writeSecurityEvent(c, {
      type: finding.type,
      severity: "MEDIUM",
      details: { rule: finding.rule, location: finding.location, sample: finding.sample, method: c.req.method, path: c.req.path },
    });
    recorded++;
  }
  return recorded;
}
