/**
 * How values are written into a mail. HTML escaping itself is `hono/html`'s (see blocks.ts); these
 * make values safe for the other places they land: an `href`, the Subject header, the text part.
 */

const SUBJECT_MAX_CHARS = 200;

/** `value` cut to `max` UTF-16 units at most, ending in "…" when cut, never splitting a surrogate pair. */
function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  let end = max - 1;
  const last = value.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end--;
  return `${value.slice(0, end).trimEnd()}…`;
}

/**
 * A Subject line from a template: every interpolated value becomes one line (CR, LF and every other
 * control character turn into a space), runs of whitespace collapse, and the whole is capped, so no
 * value can add a header or fold the line.
 */
export function subjectLine(strings: TemplateStringsArray, ...values: (string | number)[]): string {
  const oneLine = (value: string) => value.replace(/[\p{Cc}\s]+/gu, " ").trim();
  const joined = strings.reduce(
    (subject, part, index) => subject + part + (index < values.length ? oneLine(String(values[index])) : ""),
    "",
  );
  return truncate(oneLine(joined), SUBJECT_MAX_CHARS);
}

/** A value for either body: control characters other than a line feed removed (a CR, a NUL, an escape sequence). */
export const withoutControls = (value: string): string => value.replace(/(?!\n)\p{Cc}/gu, "");

/** `url` when it is an absolute http(s) URL, else "#": what may go in an `href` (never `javascript:`, `data:`, …). */
export function safeHref(url: string): string {
  const cleaned = withoutControls(url).trim();
  if (!URL.canParse(cleaned)) return "#";
  const { protocol } = new URL(cleaned);
  return protocol === "https:" || protocol === "http:" ? cleaned : "#";
}

/** A path of the app, whether or not its base URL ends in a slash. */
export const appLink = (appUrl: string, path: string): string => `${appUrl.replace(/\/+$/, "")}${path}`;

/**
 * Where a URL points, without what may be a secret: user info, query and fragment go (a webhook
 * endpoint often carries its token in the query). Not a URL: the value itself, shortened.
 */
export function displayUrl(url: string): string {
  if (!URL.canParse(url)) return truncate(url, 120);
  const parsed = new URL(url);
  return truncate(`${parsed.origin}${parsed.pathname === "/" ? "" : parsed.pathname}`, 120);
}

/** `jane@example.com` → `j***@example.com`: enough for its owner to recognise, too little to harvest. */
export function maskEmail(address: string): string {
  const at = address.lastIndexOf("@");
  const first = address.codePointAt(0);
  if (at <= 0 || first === undefined) return "***";
  return `${String.fromCodePoint(first)}***${address.slice(at)}`;
}

const currencyFormats = new Map<string, Intl.NumberFormat>();

/**
 * An amount in the currency's minor unit (cents; yen have none), e.g. 1999 USD → "$19.99",
 * 150000 INR → "₹1,500.00", 1500 JPY → "¥1,500".
 */
export function formatMoney(cents: number, currency: string): string {
  const code = currency.toUpperCase();
  let format = currencyFormats.get(code);
  if (!format) {
    format = new Intl.NumberFormat("en-US", { style: "currency", currency: code });
    currencyFormats.set(code, format);
  }
  return format.format(cents / 10 ** (format.resolvedOptions().maximumFractionDigits ?? 2));
}

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const twoDigits = (value: number) => String(value).padStart(2, "0");

/** "3 Dec 2026" (UTC) for an ISO date or date-time; the input itself when it is neither. */
export function formatDay(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
}

/** "3 Dec 2026, 14:05 UTC" for an ISO date-time; the input itself when it is not one. */
export function formatDate(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return `${formatDay(iso)}, ${twoDigits(date.getUTCHours())}:${twoDigits(date.getUTCMinutes())} UTC`;
}

const numberFormat = new Intl.NumberFormat("en-US", { maximumFractionDigits: 2 });

/** A score, mark or hour count: grouped, at most two decimals, no trailing zeros ("72.5", "1,200"). */
export const formatNumber = (value: number): string => numberFormat.format(value);

export const plural = (count: number, unit: string): string => `${formatNumber(count)} ${unit}${count === 1 ? "" : "s"}`;

/** Study time: "45 min", "2 h", "5 h 20 min". */
export function formatStudyTime(minutes: number): string {
  const hours = Math.floor(minutes / 60);
  const rest = Math.round(minutes - hours * 60);
  if (hours === 0) return `${rest} min`;
  return rest === 0 ? `${hours} h` : `${hours} h ${rest} min`;
}

/** How long a link stays valid: "30 minutes", "1 hour", "90 minutes", "2 hours". */
export const formatLifetime = (minutes: number): string => (minutes % 60 === 0 ? plural(minutes / 60, "hour") : plural(minutes, "minute"));
