const REDACTED = "[REDACTED]";

/** Keys whose values are secrets wherever they appear: bodies, headers, metadata, log fields. */
const SECRET_KEY =
  /pass(word|wd|phrase)?|secret|token|authorization|cookie|api[-_]?key|private[-_]?key|(key|password)[-_]?hash|csrf|credential|signature|dsn/i;

/** Our own secret formats (API keys `pk_…`, session tokens `st_…`, device tokens `dt_…`) and bearer credentials in free text. */
const SECRET_VALUE = /\b(?:pk|st)_[A-Za-z0-9_-]{16,}|\bdt_usr_[A-Za-z0-9._-]{16,}|\bBearer\s+[A-Za-z0-9._~+/=-]+/g;

/** `password=…`, `"token": "…"` and the like inside free text (messages, query strings, bodies). */
const SECRET_ASSIGNMENT = /\b(pass(?:word|wd)?|secret|token|api[-_]?key)(["']?\s*[:=]\s*["']?)[^\s&"',;]+/gi;

export function redactString(value: string): string {
  return value.replace(SECRET_VALUE, REDACTED).replace(SECRET_ASSIGNMENT, `$1$2${REDACTED}`);
}

/** A deep copy of `value` with secret-named keys and secret-looking strings replaced. */
export function redact<T>(value: T, depth = 0): T {
  if (typeof value === "string") return redactString(value) as T;
  if (value === null || typeof value !== "object" || depth > 8) return value;
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1)) as T;
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redact(item, depth + 1);
  }
  return out as T;
}

/** Request headers as a plain object with credentials removed, for error rows and Sentry. */
export function redactHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, key) => {
    out[key] = SECRET_KEY.test(key) ? REDACTED : redactString(value);
  });
  return out;
}
