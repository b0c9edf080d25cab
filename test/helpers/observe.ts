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
 * The real rate-limiter namespace, observed: each Durable Object the limiter addresses is recorded by
 * name (`<policy>:<key>`, one per decision on a request's path), and the call is forwarded unchanged.
 */
export function observeLimiter(real: DurableObjectNamespace<RateLimiter>): {
  namespace: DurableObjectNamespace<RateLimiter>;
  lookups: string[];
} {
  const lookups: string[] = [];
  const namespace = new Proxy(real, {
    get(target, prop) {
      if (prop === "idFromName") {
        return (name: string) => {
          lookups.push(name);
          return target.idFromName(name);
        };
      }
      const value = Reflect.get(target, prop, target) as unknown;
      return typeof value === "function" ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { namespace, lookups };
}
