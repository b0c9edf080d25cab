import type { RateLimiter } from "../../src/durable-objects/rate-limiter";

const RUNS = new Set(["all", "raw", "run", "first"]);

/**
 * The real D1 binding, observed: every round trip (a statement run on its own, or one `batch`, recorded
 * as `batch: <sql>; <sql>`) is recorded with its SQL, and everything is forwarded unchanged. Pass `db`
 * in place of `env.DB`.
 */
export function observeD1(real: D1Database): { db: D1Database; roundTrips: string[] } {
  const roundTrips: string[] = [];
  const unwrap = new WeakMap<object, { statement: D1PreparedStatement; sql: string }>();

  const observed = (statement: D1PreparedStatement, sql: string): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => observed(target.bind(...values), sql);
        const value = Reflect.get(target, prop, target) as unknown;
        if (typeof value !== "function") return value;
        if (typeof prop === "string" && RUNS.has(prop)) {
          return (...args: unknown[]) => {
            roundTrips.push(sql);
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return (value as (...a: unknown[]) => unknown).bind(target);
      },
    });
    unwrap.set(proxy, { statement, sql });
    return proxy;
  };

  const db = new Proxy(real, {
    get(target, prop) {
      if (prop === "prepare") return (sql: string) => observed(target.prepare(sql), sql);
      if (prop === "batch") {
        return (statements: D1PreparedStatement[]) => {
          const real = statements.map((statement) => unwrap.get(statement) ?? { statement, sql: "?" });
          roundTrips.push(`batch: ${real.map(({ sql }) => sql).join("; ")}`);
          return target.batch(real.map(({ statement }) => statement));
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { db, roundTrips };
}

/**
 * Writes made after the response by design, through waitUntil: metric minute aggregates (flushed when
 * due), API-key usage, session last-seen, a cache miss's fill and the cache's batched hit counts. Not
 * part of what a request itself costs.
 */
const DEFERRED_WRITE =
  /^(batch: )?(insert into "?system_metrics"?|update "api_keys" set "last_used_at"|update "sessions" set "last_seen_at"|insert into "cache_entries"|update "cache_entries" set "hit_count")/i;

/** The round trips a request made for itself: everything but the deferred, batched writes. */
export const ownRoundTrips = (roundTrips: string[]) => roundTrips.filter((sql) => !DEFERRED_WRITE.test(sql));

/** Any binding, observed: every method called on it is recorded with its arguments and forwarded unchanged. */
export function observeCalls<T extends object>(real: T): { binding: T; calls: { method: string; args: unknown[] }[] } {
  const calls: { method: string; args: unknown[] }[] = [];
  const binding = new Proxy(real, {
    get(target, prop) {
      const value = Reflect.get(target, prop, target) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        calls.push({ method: String(prop), args });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { binding, calls };
}

/**
 * The real rate-limiter namespace, observed: the name of each Durable Object the limiter addresses
 * (`<policy>:<key>`, one per decision on a request's path).
 */
export function observeLimiter(real: DurableObjectNamespace<RateLimiter>) {
  const { binding, calls } = observeCalls(real);
  return {
    namespace: binding,
    lookups: () => calls.filter((call) => call.method === "idFromName").map((call) => call.args[0] as string),
  };
}
