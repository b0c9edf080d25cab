import type { Context } from "hono";
import type { Database } from "../../db";
import type { Role } from "../../db/schema";
import type { AppEnv } from "../../env";
import type { Env } from "../../env";
import { clock } from "../clock";
import { ApiError } from "../errors";
import { aiAllowance, requireAllowanceLeft } from "./allowance";
import { type AiClient, createAiClient } from "./client";
import { AiInvalidOutputError, AiUnavailableError } from "./errors";
import { loadConfig } from "../../config";

/**
 * Before any AI work: the provider is configured (else 503 ai_unavailable, never a made-up answer)
 * and the user has allowance left this month (else 429 quota_exceeded). Returns the client.
 */
export async function openAi(env: Env, db: Database, user: { id: string; role: Role }): Promise<AiClient> {
  const config = loadConfig(env);
  if (!config.ai) {
    throw new ApiError("ai_unavailable", "AI is not configured on this deployment: set AI_BASE_URL, AI_API_KEY and AI_MODEL.");
  }
  const now = clock.now();
  requireAllowanceLeft(await aiAllowance(db, user, config.aiFreeMonthlyTokens, now), now);
  return createAiClient(env);
}

/** The same check for a route, for its caller. */
export function openAiFor(c: Context<AppEnv>, user: { id: string; role: Role }): Promise<AiClient> {
  return openAi(c.env, c.var.db, user);
}

/** A provider failure as the client should see it: 503 ai_unavailable, with Retry-After when known. */
export function aiProblem(error: unknown): unknown {
  if (error instanceof AiUnavailableError) {
    return new ApiError("ai_unavailable", error.detail, {
      headers: error.retryAfterSeconds ? { "Retry-After": String(error.retryAfterSeconds) } : undefined,
    });
  }
  if (error instanceof AiInvalidOutputError) {
    return new ApiError("ai_unavailable", "The AI's answer did not pass validation; nothing was stored. Try again.");
  }
  return error;
}
