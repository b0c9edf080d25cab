import { z } from "zod";
import { plainText } from "./text";

const isoTime = z.iso.datetime({ offset: true });
/** A calendar date (`2026-12-31`) or a full timestamp. */
const dateOrTime = z.union([z.iso.date(), isoTime]);
const goalId = z.string().regex(/^gol_[0-9A-Z]{26}$/, "Expected a goal id (gol_…)");
const subject = plainText({ max: 100 });
const notes = plainText({ max: 5_000, min: 0, multiline: true });

export const MAX_SESSION_HOURS = 24;

export const goalInput = z.strictObject({
  title: plainText({ max: 200 }),
  subject: subject.nullish(),
  targetDate: dateOrTime,
  targetHours: z.number().finite().min(0.25).max(10_000),
});
export type GoalInput = z.infer<typeof goalInput>;

export const goalPatch = goalInput.partial().refine((value) => Object.keys(value).length > 0, "Send at least one field to change");
export type GoalPatch = z.infer<typeof goalPatch>;

function sessionSpan(value: { startedAt?: string; endedAt?: string | null }, ctx: z.RefinementCtx) {
  if (!value.startedAt || !value.endedAt) return;
  const ms = Date.parse(value.endedAt) - Date.parse(value.startedAt);
  if (ms <= 0) ctx.addIssue({ code: "custom", path: ["endedAt"], message: "endedAt must be after startedAt" });
  else if (ms > MAX_SESSION_HOURS * 3600_000) {
    ctx.addIssue({ code: "custom", path: ["endedAt"], message: `A session lasts at most ${MAX_SESSION_HOURS} hours` });
  }
}

export const sessionInput = z
  .strictObject({
    startedAt: isoTime,
    endedAt: isoTime.nullish(),
    subject: subject.nullish(),
    notes: notes.nullish(),
    goalId: goalId.nullish(),
  })
  .superRefine(sessionSpan);
export type SessionInput = z.infer<typeof sessionInput>;

export const sessionPatch = z
  .strictObject({
    startedAt: isoTime,
    endedAt: isoTime.nullable(),
    subject: subject.nullable(),
    notes: notes.nullable(),
    goalId: goalId.nullable(),
  })
  .partial()
  .refine((value) => Object.keys(value).length > 0, "Send at least one field to change");
export type SessionPatch = z.infer<typeof sessionPatch>;

export const sessionListQuery = z.object({
  goalId: goalId.optional(),
  from: isoTime.optional(),
  to: isoTime.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().max(512).optional(),
});
