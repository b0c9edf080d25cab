import type { Context } from "hono";
import { ConsoleApiError } from "../api";
import type { ConsoleEnv } from "../env";

/** The page's own query string for the given keys, blanks dropped (the values the filter form shows). */
export function readQuery<K extends string>(c: Context<ConsoleEnv>, keys: readonly K[]): Record<K, string | undefined> {
  return Object.fromEntries(keys.map((key) => [key, c.req.query(key) || undefined])) as Record<K, string | undefined>;
}

/** What a `datetime-local` control posts: a wall-clock time without a zone, read here as UTC. */
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/;

/**
 * An instant for the API (ISO-8601 with an offset): a `datetime-local` value is taken as UTC; anything
 * else is passed on as typed, so the API's validation says what is wrong with it.
 */
export function apiInstant(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!LOCAL_TIME.test(value)) return value;
  const ms = Date.parse(`${value}Z`);
  return Number.isNaN(ms) ? value : new Date(ms).toISOString();
}

/** The value a `datetime-local` control can show for an instant given either way (UTC, to the minute). */
function localValue(value: string | undefined): string {
  if (!value) return "";
  if (LOCAL_TIME.test(value)) return value.slice(0, 16);
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? "" : new Date(ms).toISOString().slice(0, 16);
}

/** A labelled date-and-time control whose value is read as UTC (the console shows every time in UTC). */
export function DateTimeInput({ name, label, value, required }: { name: string; label: string; value?: string; required?: boolean }) {
  return (
    <label>
      {`${label} (UTC)`}
      <input type="datetime-local" name={name} value={localValue(value)} step={60} required={required} />
    </label>
  );
}

/**
 * Loads a filtered list, turning the API's refusal of the filters (400) into a message for the page,
 * which still shows the filter form so they can be corrected. Any other failure goes to the error page.
 */
export async function loadFiltered<T>(load: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; problem: string }> {
  try {
    return { ok: true, value: await load };
  } catch (error) {
    if (error instanceof ConsoleApiError && error.status === 400) return { ok: false, problem: error.message };
    throw error;
  }
}

/** The API's refusal of a list's filters, as an alert above the (empty) list. */
export function FilterProblem({ problem }: { problem: string }) {
  return (
    <p class="flash flash-error" role="alert">
      {`These filters were refused: ${problem}`}
    </p>
  );
}

/** A path with its query string: where a page's forms come back to. */
export function herePath(c: Context<ConsoleEnv>): string {
  const url = new URL(c.req.url);
  return url.pathname + url.search;
}
