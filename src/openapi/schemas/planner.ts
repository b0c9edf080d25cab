import { z } from "zod";
import { isoDateTime, prefixedId } from "./primitives";

export const studyGoalSchema = z
  .object({
    id: prefixedId("goal"),
    title: z.string(),
    subject: z.string().nullable(),
    targetDate: isoDateTime,
    targetHours: z.number(),
    progress: z.object({
      hoursLogged: z.number(),
      sessions: z.number().int(),
      targetHours: z.number(),
      percent: z.number(),
      achieved: z.boolean(),
    }),
    createdAt: isoDateTime,
    updatedAt: isoDateTime,
  })
  .meta({ id: "StudyGoal" });

export const studySessionSchema = z
  .object({
    id: prefixedId("studySession"),
    goalId: prefixedId("goal").nullable(),
    subject: z.string().nullable(),
    startedAt: isoDateTime,
    endedAt: isoDateTime.nullable(),
    durationMinutes: z.number().int().nullable(),
    notes: z.string().nullable(),
    createdAt: isoDateTime,
  })
  .meta({ id: "StudySession" });
