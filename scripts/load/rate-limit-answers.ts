import type { Json } from "../../bench/lib/api";

/** What the rate-limit fields of one answer say (docs/rate-limiting.md, "Responses"). */
export interface RateLimitFields {
  policy: string;
  quota: number;
  windowSeconds: number;
  remaining: number;
  resetSeconds: number;
  /** Retry-After, on a 429. */
  retryAfter: number | null;
}

/** The longest block the limiter imposes (its `maxSeconds` ceiling): a blocked client's Retry-After stays below it. */
const MAX_BLOCK_SECONDS = 86_400;

const POLICY_FIELD = /^"([^"]+)";q=(\d+);w=(\d+)$/;
const LIMIT_FIELD = /^"([^"]+)";r=(\d+);t=(\d+)$/;

/**
 * Every way one answer's rate-limit fields break the documented contract, as sentences; empty when
 * they are sane. `nowSeconds` is the client's clock, allowed `skewSeconds` of difference from the server's.
 */
export function rateLimitProblems(status: number, headers: Headers, body: Json, nowSeconds: number, skewSeconds = 5): string[] {
  const problems: string[] = [];
  const policyField = headers.get("RateLimit-Policy");
  const limitField = headers.get("RateLimit");
  const policy = policyField?.match(POLICY_FIELD);
  const limit = limitField?.match(LIMIT_FIELD);
  if (!policy) problems.push(`RateLimit-Policy ${policyField === null ? "missing" : `malformed: ${policyField}`}`);
  if (!limit) problems.push(`RateLimit ${limitField === null ? "missing" : `malformed: ${limitField}`}`);
  if (!policy || !limit) return problems;
  const [quota, window, remaining, reset] = [Number(policy[2]), Number(policy[3]), Number(limit[2]), Number(limit[3])];
  if (policy[1] !== limit[1]) problems.push(`RateLimit names policy "${limit[1]}", RateLimit-Policy "${policy[1]}"`);
  if (remaining > quota) problems.push(`remaining ${remaining} above the quota ${quota}`);
  if (reset > window) problems.push(`reset in ${reset} s, beyond the ${window} s window`);
  if (headers.get("X-RateLimit-Limit") !== String(quota))
    problems.push(`X-RateLimit-Limit ${headers.get("X-RateLimit-Limit")} ≠ q=${quota}`);
  if (headers.get("X-RateLimit-Remaining") !== String(remaining)) {
    problems.push(`X-RateLimit-Remaining ${headers.get("X-RateLimit-Remaining")} ≠ r=${remaining}`);
  }
  const resetAt = Number(headers.get("X-RateLimit-Reset"));
  if (!Number.isInteger(resetAt) || resetAt < nowSeconds - skewSeconds || resetAt > nowSeconds + window + skewSeconds) {
    problems.push(`X-RateLimit-Reset ${headers.get("X-RateLimit-Reset")} is not within the window from now (${Math.round(nowSeconds)})`);
  }
  if (status !== 429) return problems;

  if (remaining !== 0) problems.push(`a 429 reports ${remaining} units remaining`);
  const retryAfterField = headers.get("Retry-After");
  const retryAfter = Number(retryAfterField);
  const blocked = body?.blocked === true;
  if (retryAfterField === null || !Number.isInteger(retryAfter) || retryAfter < 1) {
    problems.push(`Retry-After ${retryAfterField === null ? "missing" : `"${retryAfterField}"`} on a 429 (want whole seconds ≥ 1)`);
  } else if (retryAfter > (blocked ? MAX_BLOCK_SECONDS : window)) {
    problems.push(`Retry-After ${retryAfter} s beyond ${blocked ? "the longest block" : `the ${window} s window`}`);
  }
  if (body?.code !== "rate_limited") problems.push(`a 429 with problem code ${body?.code ?? "(none)"}`);
  if (body?.retryAfterSeconds !== retryAfter)
    problems.push(`retryAfterSeconds ${body?.retryAfterSeconds} ≠ Retry-After ${retryAfterField}`);
  return problems;
}

/** The fields of a sane answer, for the report. */
export function rateLimitFields(headers: Headers): RateLimitFields | null {
  const policy = headers.get("RateLimit-Policy")?.match(POLICY_FIELD);
  const limit = headers.get("RateLimit")?.match(LIMIT_FIELD);
  if (!policy || !limit) return null;
  const retryAfter = headers.get("Retry-After");
  return {
    policy: policy[1]!,
    quota: Number(policy[2]),
    windowSeconds: Number(policy[3]),
    remaining: Number(limit[2]),
    resetSeconds: Number(limit[3]),
    retryAfter: retryAfter === null ? null : Number(retryAfter),
  };
}

export interface Admission {
  /** performance.now() when the request left and when its answer arrived: its decision lies between. */
  sentAt: number;
  receivedAt: number;
}

/**
 * Admissions that provably break "at most `limit` in any window": for limit + 1 admitted requests, the
 * limiter's decisions span at least the window, and each decision lies within its request's
 * [sentAt, receivedAt]. A group of limit + 1 (consecutive by sending time) whose latest answer came
 * less than `windowMs - toleranceMs` after its first request left cannot have been decided lawfully.
 * Sound (no false alarm beyond the tolerance for clock granularity), not complete.
 */
export function windowViolations(admitted: Admission[], limit: number, windowMs: number, toleranceMs = 250): number {
  const bySending = [...admitted].sort((a, b) => a.sentAt - b.sentAt);
  let violations = 0;
  for (let i = 0; i + limit < bySending.length; i++) {
    const group = bySending.slice(i, i + limit + 1);
    const span = Math.max(...group.map((a) => a.receivedAt)) - group[0]!.sentAt;
    if (span < windowMs - toleranceMs) violations++;
  }
  return violations;
}
