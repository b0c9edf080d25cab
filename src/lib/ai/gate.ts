import type { Context } from "hono";
import type { Database } from "../../db";
import type { Role } from "../../db/schema";
import type { AppEnv, Env } from "../../env";
import { clock } from "../clock";
import { ApiError } from "../errors";
import { caller } from "../exam/access";
import { aiAllowance, requireAllowanceLeft } from "./allowance";
import { type AiClient, createAiClient } from "./client";
import { AiInvalidOutputError, AiUnavailableError } from "./errors";
import { loadConfig } from "../../config";

type AiUser = { id: string; role: Role };

/**
 * Before any AI work: the provider is configured (else 503 ai_unavailable, never a made-up answer)
 * and the user has allowance left this month (else 429 quota_exceeded). Routes that only queue a
 * job check this; the job checks again before each call.
 */
export async function requireAi(env: Env, db: Database, user: AiUser): Promise<void> {
  const config = loadConfig(env);
  if (!config.ai) {
    throw new ApiError("ai_unavailable", "AI is not configured on this deployment: set AI_BASE_URL, AI_API_KEY and AI_MODEL.");
  }
  const now = clock.now();
  requireAllowanceLeft(await aiAllowance(db, user, config.aiFreeMonthlyTokens, now), now);
}

/** The checks above, then the client for the call. */
export async function openAi(env: Env, db: Database, user: AiUser): Promise<AiClient> {
  await requireAi(env, db, user);
  return createAiClient(env);
}

/** The caller of a route as the AI checks see them. */
export const aiUser = (c: Context<AppEnv>): AiUser => {
  const auth = caller(c);
  return { id: auth.userId, role: auth.role };
};

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
