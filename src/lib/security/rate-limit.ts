import { z } from "zod";
import type { BlockRule, BlockState, LimitDecision } from "../../durable-objects/rate-limiter";
import { RATE_LIMIT_KEY_KINDS, ROLES, type RateLimitKeyKind, type Role } from "../../db/schema";
import type { Config } from "../../config";
import type { Env } from "../../env";
import { UpstashBackend } from "./rate-limit-upstash";

export type { BlockState, LimitDecision } from "../../durable-objects/rate-limiter";

export const RATE_LIMIT_POLICIES = ["api", "auth", "email", "ai", "export", "search"] as const;
export type RateLimitPolicyName = (typeof RATE_LIMIT_POLICIES)[number];

export const RATE_LIMIT_BACKENDS = ["durable_object", "upstash"] as const;
export type RateLimitBackendName = (typeof RATE_LIMIT_BACKENDS)[number];

const blockSchema = z.strictObject({
  breaches: z.number().int().min(1).max(1_000_000),
  periodSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400),
  baseSeconds: z
    .number()
    .int()
    .min(1)
    .max(7 * 86_400),
  multiplier: z.number().min(1).max(100),
  maxSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400),
  resetAfterSeconds: z
    .number()
    .int()
    .min(1)
    .max(30 * 86_400),
});

const policySchema = z.strictObject({
  limit: z.number().int().min(1).max(1_000_000),
  windowSeconds: z.number().int().min(1).max(86_400),
  /** `null` turns automatic blocking off for the policy. */
  block: blockSchema.nullable(),
  /** What happens when the limiter cannot answer: let the request through (and log) or refuse it (503). */
  failMode: z.enum(["open", "closed"]),
});

export type RateLimitPolicy = z.infer<typeof policySchema>;
export type RateLimitPolicies = Record<RateLimitPolicyName, RateLimitPolicy>;

const escalation = { multiplier: 4, maxSeconds: 86_400, resetAfterSeconds: 86_400 };

/** Defaults per policy; `RATE_LIMIT_POLICIES` (JSON) overrides any field of any policy per environment. */
export const DEFAULT_POLICIES: RateLimitPolicies = {
  api: {
    limit: 300,
    windowSeconds: 60,
    block: { breaches: 300, periodSeconds: 300, baseSeconds: 60, ...escalation },
    failMode: "open",
  },
  auth: {
    limit: 10,
    windowSeconds: 60,
    block: { breaches: 20, periodSeconds: 600, baseSeconds: 300, ...escalation },
    failMode: "closed",
  },
  // Mail a request makes someone else receive (password reset, verification resend): per IP and per address or account.
  email: {
    limit: 5,
    windowSeconds: 900,
    block: null,
    failMode: "closed",
  },
  ai: {
    limit: 60,
    windowSeconds: 60,
    block: { breaches: 60, periodSeconds: 600, baseSeconds: 300, ...escalation },
    failMode: "open",
  },
  export: {
    limit: 10,
    windowSeconds: 3600,
    block: null,
    failMode: "open",
  },
  search: {
    limit: 120,
    windowSeconds: 60,
    block: { breaches: 200, periodSeconds: 300, baseSeconds: 60, ...escalation },
    failMode: "open",
  },
};

const overridesSchema = z.partialRecord(
  z.enum(RATE_LIMIT_POLICIES),
  policySchema.partial().extend({ block: blockSchema.partial().nullable().optional() }),
);

/**
 * Parses the `RATE_LIMIT_POLICIES` setting (a JSON object of per-policy overrides, e.g.
 * `{"auth":{"limit":5},"export":{"block":null}}`) onto the defaults. Throws on anything invalid so
 * the configuration check can name the setting.
 */
export function parsePolicies(json: string | undefined): RateLimitPolicies {
  if (!json || json.trim() === "") return DEFAULT_POLICIES;
  const overrides = overridesSchema.parse(JSON.parse(json));
  const policies = { ...DEFAULT_POLICIES };
  for (const name of RATE_LIMIT_POLICIES) {
    const override = overrides[name];
    if (!override) continue;
    const base = DEFAULT_POLICIES[name];
    const block =
      override.block === null
        ? null
        : override.block === undefined
          ? base.block
          : blockSchema.parse({ ...(base.block ?? DEFAULT_POLICIES.api.block), ...override.block });
    policies[name] = policySchema.parse({ ...base, ...override, block });
  }
  return policies;
}

export function blockRuleOf(policy: RateLimitPolicy): BlockRule | null {
  if (!policy.block) return null;
  const b = policy.block;
  return {
    breaches: b.breaches,
    periodMs: b.periodSeconds * 1000,
    baseMs: b.baseSeconds * 1000,
    multiplier: b.multiplier,
    maxMs: b.maxSeconds * 1000,
    resetAfterMs: b.resetAfterSeconds * 1000,
  };
}

/** Longest key accepted: longer ones are cut (an email or IPv6 address fits with room to spare). */
const MAX_KEY_LENGTH = 320;

/** Keys are `kind:value` (`ip:203.0.113.9`, `user:usr_…`, `api_key:key_…`, `email:a@b.c`, `device:…`). */
export function makeKey(kind: RateLimitKeyKind, value: string): string {
  return `${kind}:${value}`.slice(0, MAX_KEY_LENGTH);
}

export function keyKindOf(key: string): RateLimitKeyKind {
  const kind = key.slice(0, key.indexOf(":"));
  return (RATE_LIMIT_KEY_KINDS as readonly string[]).includes(kind) ? (kind as RateLimitKeyKind) : "user";
}

/** A rate as configured: `limit` units per `windowSeconds`. */
export interface Rate {
  limit: number;
  windowSeconds: number;
}

export type RoleCeilings = Record<Role, Rate>;

const rateSchema = z.strictObject({
  limit: z.number().int().min(1).max(1_000_000),
  windowSeconds: z.number().int().min(1).max(86_400),
});

/**
 * Parses `RATE_LIMIT_ROLE_CEILINGS` (e.g. `{"instructor":{"limit":600,"windowSeconds":60}}`): per role,
 * the `api` capacity one account shares across all its credentials, and the most any of its API keys
 * may be given. A role left out gets the `api` policy's own limit and window. Throws on anything invalid.
 */
export function parseRoleCeilings(json: string | undefined, api: RateLimitPolicy): RoleCeilings {
  const overrides = !json || json.trim() === "" ? {} : z.partialRecord(z.enum(ROLES), rateSchema).parse(JSON.parse(json));
  const fallback = { limit: api.limit, windowSeconds: api.windowSeconds };
  return Object.fromEntries(ROLES.map((role) => [role, overrides[role] ?? fallback])) as RoleCeilings;
}

/**
 * Whether `rate` allows more than `ceiling`: a bigger burst (limit), or a faster pace (limit per
 * second), so neither a short window nor a long one gets around the ceiling.
 */
export function exceedsCeiling(rate: Rate, ceiling: Rate): boolean {
  return rate.limit > ceiling.limit || rate.limit * ceiling.windowSeconds > ceiling.limit * rate.windowSeconds;
}

/** The Durable Object name for a counter: policy first, so two policies never share one. */
export const limiterName = (policy: string, key: string): string => `${policy}:${key}`;

export interface LimitInput {
  policy: RateLimitPolicyName;
  key: string;
  now: number;
  limit: number;
  windowMs: number;
  cost: number;
  block: BlockRule | null;
}

/** Where counters and blocks live: a Durable Object per key (default) or Upstash Redis. */
export interface RateLimitBackend {
  readonly name: RateLimitBackendName;
  decide(input: LimitInput): Promise<LimitDecision>;
  unblock(policy: RateLimitPolicyName, key: string, now: number): Promise<BlockState>;
  blockState(policy: RateLimitPolicyName, key: string, now: number): Promise<BlockState>;
}

/** The default backend: one strongly consistent Durable Object per (policy, key). */
class DurableObjectBackend implements RateLimitBackend {
  readonly name = "durable_object" as const;
  constructor(private readonly namespace: Env["RATE_LIMITER"]) {}

  private stub(policy: string, key: string) {
    return this.namespace.get(this.namespace.idFromName(limiterName(policy, key)));
  }

  decide(input: LimitInput): Promise<LimitDecision> {
    const { policy, key, ...request } = input;
    return this.stub(policy, key).decide(request);
  }

  unblock(policy: RateLimitPolicyName, key: string, now: number): Promise<BlockState> {
    return this.stub(policy, key).unblock(now);
  }

  blockState(policy: RateLimitPolicyName, key: string, now: number): Promise<BlockState> {
    return this.stub(policy, key).blockState(now);
  }
}

const backends = new WeakMap<object, RateLimitBackend>();

/** The configured backend for this environment, built once per env object (it holds a Redis client). */
export function rateLimitBackend(env: Env, config: Config["rateLimit"]): RateLimitBackend {
  let backend = backends.get(env);
  if (!backend) {
    backend =
      config.backend === "upstash" && config.upstash ? new UpstashBackend(config.upstash) : new DurableObjectBackend(env.RATE_LIMITER);
    backends.set(env, backend);
  }
  return backend;
}

/** Most entries the in-isolate block cache holds; past it, expired entries go first, then the oldest. */
const BLOCK_CACHE_MAX_ENTRIES = 10_000;
/**
 * A cached block is re-checked with the backend at least this often, so an admin's unblock made in
 * another isolate takes effect within this bound instead of at the block's end.
 */
const BLOCK_CACHE_MAX_MS = 60_000;

interface CachedBlock {
  blockedUntil: number;
  level: number;
  checkAgainAt: number;
}

/**
 * Blocked keys known to this isolate: answered without a backend call until the block ends (or
 * the re-check bound passes). Module state lives as long as the isolate does, which is the point.
 */
export const blockCache = {
  entries: new Map<string, CachedBlock>(),

  get(policy: string, key: string, now: number): CachedBlock | null {
    const id = limiterName(policy, key);
    const entry = this.entries.get(id);
    if (!entry) return null;
    if (entry.blockedUntil <= now || entry.checkAgainAt <= now) {
      this.entries.delete(id);
      return null;
    }
    return entry;
  },

  set(policy: string, key: string, blockedUntil: number, level: number, now: number): void {
    if (this.entries.size >= BLOCK_CACHE_MAX_ENTRIES) {
      for (const [id, entry] of this.entries) if (entry.blockedUntil <= now) this.entries.delete(id);
      if (this.entries.size >= BLOCK_CACHE_MAX_ENTRIES) this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(limiterName(policy, key), {
      blockedUntil,
      level,
      checkAgainAt: Math.min(blockedUntil, now + BLOCK_CACHE_MAX_MS),
    });
  },

  delete(policy: string, key: string): void {
    this.entries.delete(limiterName(policy, key));
  },

  clear(): void {
    this.entries.clear();
  },
};

/** The answer for a key that is blocked: nothing remains until the block ends. */
export function blockedDecision(limit: number, now: number, blockedUntil: number, level: number, newlyBlocked = false): LimitDecision {
  return {
    allowed: false,
    limit,
    remaining: 0,
    resetMs: blockedUntil - now,
    retryAfterMs: blockedUntil - now,
    blockedUntil,
    blockLevel: level,
    newlyBlocked,
  };
}
