import type { Database } from "../../db";
import { aiUsage, type AiOutcome } from "../../db/schema";
import { newId } from "../ids";
import type { AiUsage } from "./usage-meter";

/** The call's accounting row, for the caller's batch (or alone): who it served, the model, tokens, time and cost. */
export function aiUsageInsert(db: Database, userId: string | null, usage: AiUsage, outcome: AiOutcome, now: number) {
  return db.insert(aiUsage).values({
    id: newId("aiUsage", now),
    userId,
    feature: usage.feature,
    model: usage.model,
    promptTokens: usage.promptTokens,
    completionTokens: usage.completionTokens,
    latencyMs: Math.round(usage.latencyMs),
    costUsd: usage.costUsd,
    outcome,
    createdAt: now,
  });
}
