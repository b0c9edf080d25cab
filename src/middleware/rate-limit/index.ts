import type { Context, MiddlewareHandler } from "hono";
import { clock } from "../../lib/clock";
import { ApiError } from "../../lib/errors";
import { documented } from "../../openapi/describe";
import { recordSecurityEvent } from "../../lib/security/events";
import {
  blockCache,
  blockedDecision,
  blockRuleOf,
  exceedsCeiling,
  makeKey,
  rateLimitBackend,
  type LimitDecision,
  type Rate,
  type RateLimitBackend,
  type RateLimitPolicy,
  type RateLimitPolicyName,
} from "../../lib/security/rate-limit";
import type { BlockRule } from "../../durable-objects/rate-limiter";
import { recordBreach } from "../../lib/security/rate-limit-log";
import type { AppEnv } from "../../env";

export interface RateLimitOptions {
  policy: RateLimitPolicyName;
  /** Units this request uses (default 1): expensive calls such as AI generation cost more. */
  cost?: number;
  /**
   * The key(s) to count against, as `kind:value` (see `makeKey`). Default: the API key and then its
   * owner, else the user, else the client IP; for `auth`, the client IP and the `email` in the JSON
   * body. With several keys, every one must admit the request; they are charged in order.
   */
  key?: (c: Context<AppEnv>) => string | string[] | Promise<string | string[]>;
}

/** What a client is told to wait when the limiter is down and the policy fails closed. */
const UNAVAILABLE_RETRY_AFTER_SECONDS = 5;

interface Subject {
  key: string;
  limit: number;
  windowMs: number;
  /** Overrides the policy's block rule for this key (`null`: this request never blocks it). */
  block?: BlockRule | null;
}

/**
 * The remaining units last reported in a request's headers. A route can sit behind two different
 * policies (its group's `api` and its own `search`); the tighter one shows.
 */
const reportedRemaining = new WeakMap<Request, number>();

type Outcome = { subject: Subject; decision: LimitDecision } | { subject: Subject; fault: unknown };

/**
 * Sliding-window rate limiting for a route group (docs/rate-limiting.md). Install after
 * `authenticate()` so the key can be the API key or user. Every response it governs carries the IETF
 * `RateLimit-Policy` / `RateLimit` fields and the legacy `X-RateLimit-*` ones; a denial is a 429
 * `rate_limited` problem with `Retry-After`.
 */
export const rateLimit = (options: RateLimitOptions): MiddlewareHandler<AppEnv> => {
  const cost = options.cost ?? 1;
  if (!Number.isInteger(cost) || cost < 1) throw new Error(`rateLimit: cost must be a positive integer, got ${cost}`);

  return documented({ "x-proctor-rate-limit": [options.policy] }, async function rateLimit(c, next) {
    const config = c.var.config.rateLimit;
    const policy = config.policies[options.policy];
    const subjects = await subjectsOf(c, options, policy);
    const backend = rateLimitBackend(c.env, config);
    const now = clock.now();
    const block = blockRuleOf(policy);

    // In order, stopping at the first denial: a subject is charged only when every one before it
    // admitted, so an API key past its own limit never spends its owner's shared capacity, and a
    // request an IP limit refuses never counts against the account it names.
    const decided: { subject: Subject; decision: LimitDecision }[] = [];
    for (const subject of subjects) {
      const outcome = await decide(c, backend, options.policy, subject, { now, cost, block, timeoutMs: config.timeoutMs });
      if ("fault" in outcome) {
        c.var.logger.error("rate limiter unavailable", {
          policy: options.policy,
          backend: backend.name,
          failMode: policy.failMode,
          error: String(outcome.fault),
        });
        if (policy.failMode === "closed") {
          throw new ApiError("service_unavailable", "Rate limiting is temporarily unavailable; try again shortly.", {
            headers: { "Retry-After": String(UNAVAILABLE_RETRY_AFTER_SECONDS) },
          });
        }
        continue;
      }
      decided.push(outcome);
      afterDecision(c, options.policy, outcome.subject, outcome.decision, now);
      if (!outcome.decision.allowed) break;
    }
    if (decided.length === 0) return next();

    const governing = pickGoverning(decided);
    const headers = rateLimitHeaders(options.policy, governing.subject, governing.decision, now);
    if (!governing.decision.allowed) {
      reportedRemaining.set(c.req.raw, 0); // an outer limiter must not relabel this denial
      const retryAfterSeconds = Math.max(1, Math.ceil(governing.decision.retryAfterMs / 1000));
      const blocked = governing.decision.blockedUntil !== null;
      throw new ApiError(
        "rate_limited",
        blocked
          ? `Too many requests: this client is blocked after repeated breaches of the ${options.policy} limit. Retry in ${retryAfterSeconds} seconds.`
          : `Too many requests for the ${options.policy} limit. Retry in ${retryAfterSeconds} seconds.`,
        {
          headers: { ...headers, "Retry-After": String(retryAfterSeconds) },
          extensions: { policy: options.policy, retryAfterSeconds, blocked },
        },
      );
    }

    await next();
    const reported = reportedRemaining.get(c.req.raw);
    if (reported === undefined || governing.decision.remaining < reported) {
      reportedRemaining.set(c.req.raw, governing.decision.remaining);
      for (const [name, value] of Object.entries(headers)) c.header(name, value);
    }
  });
};

/** One subject's decision: from the block cache when the key is known to be blocked, else from the backend. */
async function decide(
  c: Context<AppEnv>,
  backend: RateLimitBackend,
  policy: RateLimitPolicyName,
  subject: Subject,
  request: { now: number; cost: number; block: BlockRule | null; timeoutMs: number },
): Promise<Outcome> {
  const { now, cost, timeoutMs } = request;
  const cached = blockCache.get(policy, subject.key, now);
  if (cached) {
    c.var.metrics.record("rate_limit.decision", 0, { policy, outcome: "cached_block" });
    return { subject, decision: blockedDecision(subject.limit, now, cached.blockedUntil, cached.level) };
  }
  const block = subject.block === undefined ? request.block : subject.block;
  const started = performance.now();
  try {
    const decision = await withTimeout(
      backend.decide({ policy, key: subject.key, now, limit: subject.limit, windowMs: subject.windowMs, cost, block }),
      timeoutMs,
    );
    c.var.metrics.record("rate_limit.decision", performance.now() - started, {
      policy,
      backend: backend.name,
      outcome: decision.allowed ? "allowed" : decision.blockedUntil ? "blocked" : "denied",
    });
    return { subject, decision };
  } catch (fault) {
    c.var.metrics.record("rate_limit.decision", performance.now() - started, { policy, backend: backend.name, outcome: "fault" });
    return { subject, fault };
  }
}

/** Keeps the block cache in step with the backend and records breaches and blocks, off the response path. */
function afterDecision(c: Context<AppEnv>, policy: RateLimitPolicyName, subject: Subject, decision: LimitDecision, now: number) {
  if (decision.blockedUntil !== null) blockCache.set(policy, subject.key, decision.blockedUntil, decision.blockLevel, now);
  if (decision.allowed || (decision.blockedUntil !== null && !decision.newlyBlocked)) return;
  recordBreach(c, {
    policy,
    key: subject.key,
    limit: subject.limit,
    windowMs: subject.windowMs,
    blockedUntil: decision.newlyBlocked ? decision.blockedUntil : null,
    blockLevel: decision.blockLevel,
  });
  if (decision.newlyBlocked) {
    recordSecurityEvent(c, {
      type: "rate_limit_block",
      severity: policy === "auth" || decision.blockLevel >= 3 ? "HIGH" : "MEDIUM",
      details: {
        policy,
        key: subject.key,
        level: decision.blockLevel,
        blockedUntil: new Date(decision.blockedUntil!).toISOString(),
        durationSeconds: Math.round((decision.blockedUntil! - now) / 1000),
      },
    });
  }
}

/**
 * The default keys for a policy, each with its limit, in the order they are charged. An API key is
 * counted against its own bucket (its own rate limit on `api`, held to its owner's role ceiling) and
 * then its owner's, which every credential of that user shares: fifty keys are not fifty times the
 * capacity. That shared bucket never blocks on a key's account; only the key's own bucket does.
 */
async function subjectsOf(c: Context<AppEnv>, options: RateLimitOptions, policy: RateLimitPolicy): Promise<Subject[]> {
  const base = { limit: policy.limit, windowMs: policy.windowSeconds * 1000 };
  if (options.key) {
    const keys = await options.key(c);
    return [...new Set(Array.isArray(keys) ? keys : [keys])].map((key) => ({ key, ...base }));
  }
  const ip = makeKey("ip", c.var.requestContext.ip);
  if (options.policy === "auth") {
    const email = await emailInBody(c);
    return [{ key: ip, ...base }, ...(email ? [{ key: makeKey("email", email), ...base }] : [])];
  }
  const auth = c.var.auth;
  if (!auth) return [{ key: ip, ...base }];
  // A role outside the catalogue (a bad row) gets the policy itself.
  const ceiling = c.var.config.rateLimit.roleCeilings[auth.role] ?? policy;
  const owner = { key: makeKey("user", auth.userId), ...(options.policy === "api" ? rateOf(ceiling) : base) };
  if (!auth.apiKeyId) return [owner];
  const own = options.policy === "api" ? auth.apiKeyRateLimit : null;
  return [
    { key: makeKey("api_key", auth.apiKeyId), ...(own ? rateOf(exceedsCeiling(own, ceiling) ? ceiling : own) : base) },
    { ...owner, block: null },
  ];
}

const rateOf = (rate: Rate) => ({ limit: rate.limit, windowMs: rate.windowSeconds * 1000 });

/**
 * The `email` a credential request names, so guessing passwords for one account is limited however
 * many IPs the guesses come from. Hono caches the body, so the validator reads it again for free.
 */
export async function emailInBody(c: Context<AppEnv>): Promise<string | null> {
  if (!/^application\/([\w.-]+\+)?json/i.test(c.req.header("Content-Type") ?? "")) return null;
  try {
    const body: unknown = await c.req.json();
    const email = body && typeof body === "object" ? (body as Record<string, unknown>).email : undefined;
    return typeof email === "string" && email.length > 0 && email.length <= 320 ? email.trim().toLowerCase() : null;
  } catch {
    return null;
  }
}

/** A denial wins (the longest wait); among admissions, the one with the least room left. */
function pickGoverning(decided: { subject: Subject; decision: LimitDecision }[]) {
  return decided.reduce((worst, next) => {
    const a = worst.decision;
    const b = next.decision;
    if (a.allowed !== b.allowed) return a.allowed ? next : worst;
    if (!a.allowed) return b.retryAfterMs > a.retryAfterMs ? next : worst;
    return b.remaining < a.remaining ? next : worst;
  });
}

/** IETF draft-ietf-httpapi-ratelimit-headers (structured fields) plus the legacy X-RateLimit-* trio. */
function rateLimitHeaders(policy: string, subject: Subject, decision: LimitDecision, now: number): Record<string, string> {
  const windowSeconds = Math.round(subject.windowMs / 1000);
  const resetSeconds = Math.ceil(decision.resetMs / 1000);
  return {
    "RateLimit-Policy": `"${policy}";q=${decision.limit};w=${windowSeconds}`,
    RateLimit: `"${policy}";r=${decision.remaining};t=${resetSeconds}`,
    "X-RateLimit-Limit": String(decision.limit),
    "X-RateLimit-Remaining": String(decision.remaining),
    "X-RateLimit-Reset": String(Math.ceil((now + decision.resetMs) / 1000)),
  };
}

function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | null = null;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    }),
  ]).finally(() => {
    if (timer !== null) clearTimeout(timer);
  });
}
