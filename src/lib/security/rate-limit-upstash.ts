import { Ratelimit } from "@upstash/ratelimit";
import { Redis } from "@upstash/redis/cloudflare";
import type { BlockRule } from "../../durable-objects/rate-limiter";
import {
  blockedDecision,
  type BlockState,
  type LimitDecision,
  type LimitInput,
  type RateLimitBackend,
  type RateLimitPolicyName,
} from "./rate-limit";

/**
 * Counts one breach and, once a key has `breaches` of them within `periodMs`, blocks it for a period
 * that grows with each repeat offence (the same rule the Durable Object applies), atomically in Redis.
 * Returns `{blocked (0|1), blockedUntil, level}`.
 */
const RECORD_BREACH = `
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n < tonumber(ARGV[3]) then return {0, 0, 0} end
redis.call('DEL', KEYS[1])
local now = tonumber(ARGV[1])
local level = tonumber(redis.call('HGET', KEYS[2], 'level') or '0')
local last = tonumber(redis.call('HGET', KEYS[2], 'last') or '0')
if level > 0 and now - last < tonumber(ARGV[7]) then level = level + 1 else level = 1 end
local duration = math.min(tonumber(ARGV[6]), math.floor(tonumber(ARGV[4]) * tonumber(ARGV[5]) ^ (level - 1) + 0.5))
local blockedUntil = now + duration
redis.call('HSET', KEYS[2], 'until', blockedUntil, 'level', level, 'last', now)
redis.call('PEXPIRE', KEYS[2], duration + tonumber(ARGV[7]))
return {1, blockedUntil, level}
`;

/**
 * The same policies on Upstash Redis via `@upstash/ratelimit` (its sliding window) plus blocks kept
 * in Redis hashes. Note the differences from the Durable Object (docs/rate-limiting.md): Upstash's
 * sliding window weights the previous fixed window, so it approximates rather than guarantees the
 * limit, and it reads the wall clock rather than `clock.now()`.
 */
export class UpstashBackend implements RateLimitBackend {
  readonly name = "upstash" as const;
  private readonly redis: Redis;
  private readonly prefix: string;
  private readonly limiters = new Map<string, Ratelimit>();
  private readonly recordBreach;

  constructor(options: { url: string; token: string; prefix?: string }) {
    this.redis = new Redis({
      url: options.url,
      token: options.token,
      // One quick retry: the middleware's own timeout and fail mode decide what a fault means.
      retry: { retries: 1, backoff: () => 50 },
      enableTelemetry: false,
      // The client is shared by every request of the isolate; batching one request's commands with
      // another's would resolve its promises from the wrong request context.
      enableAutoPipelining: false,
    });
    this.prefix = options.prefix ?? "proctor:rl";
    this.recordBreach = this.redis.createScript<[number, number, number]>(RECORD_BREACH);
  }

  private limiter(policy: RateLimitPolicyName, limit: number, windowMs: number): Ratelimit {
    const id = `${policy}|${limit}|${windowMs}`;
    let limiter = this.limiters.get(id);
    if (!limiter) {
      limiter = new Ratelimit({
        redis: this.redis,
        limiter: Ratelimit.slidingWindow(limit, `${windowMs} ms`),
        prefix: `${this.prefix}:${policy}`,
        // Our own block cache and timeout apply; theirs would answer "allowed" on a timeout.
        ephemeralCache: false,
        timeout: 0,
        analytics: false,
      });
      this.limiters.set(id, limiter);
    }
    return limiter;
  }

  private blockKey(policy: string, key: string) {
    return `${this.prefix}:block:${policy}:${key}`;
  }

  private breachKey(policy: string, key: string) {
    return `${this.prefix}:breach:${policy}:${key}`;
  }

  async decide(input: LimitInput): Promise<LimitDecision> {
    const { policy, key, now, limit, windowMs, cost, block } = input;
    const state = await this.blockState(policy, key, now);
    if (state.blockedUntil !== null) return blockedDecision(limit, now, state.blockedUntil, state.level, false);

    const result = await this.limiter(policy, limit, windowMs).limit(key, { rate: cost });
    const wall = Date.now();
    const resetMs = Math.max(0, result.reset - wall);
    if (result.success) {
      return {
        allowed: true,
        limit,
        remaining: Math.max(0, result.remaining),
        resetMs,
        retryAfterMs: 0,
        blockedUntil: null,
        blockLevel: state.level,
        newlyBlocked: false,
      };
    }
    const denied: LimitDecision = {
      allowed: false,
      limit,
      remaining: Math.max(0, result.remaining),
      resetMs,
      retryAfterMs: Math.max(1, resetMs),
      blockedUntil: null,
      blockLevel: state.level,
      newlyBlocked: false,
    };
    if (!block) return denied;
    const [blocked, blockedUntil, level] = await this.recordBreach.exec(
      [this.breachKey(policy, key), this.blockKey(policy, key)],
      breachArgs(now, block),
    );
    return blocked === 1 ? blockedDecision(limit, now, Number(blockedUntil), Number(level), true) : denied;
  }

  async blockState(policy: RateLimitPolicyName, key: string, now: number): Promise<BlockState> {
    const values = await this.redis.hmget<Record<string, string | number | null>>(this.blockKey(policy, key), "until", "level");
    const until = Number(values?.until ?? 0);
    const level = Number(values?.level ?? 0);
    return { blockedUntil: until > now ? until : null, level };
  }

  async unblock(policy: RateLimitPolicyName, key: string, now: number): Promise<BlockState> {
    const before = await this.blockState(policy, key, now);
    await this.redis.del(this.blockKey(policy, key), this.breachKey(policy, key));
    return before;
  }
}

function breachArgs(now: number, block: BlockRule): string[] {
  return [now, block.periodMs, block.breaches, block.baseMs, block.multiplier, block.maxMs, block.resetAfterMs].map(String);
}
