import { DurableObject } from "cloudflare:workers";
import type { Env } from "../env";

/**
 * One instance per (policy, key), named `${policy}:${key}`: holds that key's sliding-window counter
 * and block state in its SQLite storage, so every decision for the key is serialised and exact.
 */
export class RateLimiter extends DurableObject<Env> {
  ping(): string {
    return "pong";
  }
}
