import { z } from "zod";

export const livenessSchema = z.object({ status: z.literal("ok"), version: z.string() });

const checkSchema = z.object({
  status: z.enum(["ok", "error"]),
  latencyMs: z.number(),
  error: z.string().optional(),
  cause: z.string().optional(),
});

export const readinessSchema = z.object({
  status: z.enum(["ok", "error"]),
  version: z.string(),
  checks: z.record(z.string(), checkSchema),
});
