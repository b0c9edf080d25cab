import { and, asc, eq, gt, gte, isNotNull, lt, sql } from "drizzle-orm";
import type { Database } from "../../db";
import { inList } from "../../db/in-list";
import { attempts, notificationPreferences, studyGoals, studySessions, tests, users } from "../../db/schema";
import { iso } from "../clock";

export const WEEKLY_SUMMARY_PAGE_SIZE = 100;
const WEEK_MS = 7 * 86_400_000;
const MAX_ROWS_PER_USER = 20;

/** Monday 00:00 UTC of the week before `now`: the week a Monday's summary is about. */
export function previousWeekStart(now: number): string {
  const day = new Date(now);
  const sinceMonday = (day.getUTCDay() + 6) % 7;
  const thisMonday = Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() - sinceMonday);
  return new Date(thisMonday - WEEK_MS).toISOString().slice(0, 10);
}

export interface WeeklySummary {
  userId: string;
  email: string;
  data: {
    name: string;
    weekStart: string;
    weekEnd: string;
    studyMinutes: number;
    sessions: number;
    goals: { title: string; targetHours: number; loggedHours: number; targetDate: string }[];
    attempts: { testTitle: string; score: number; maxScore: number }[];
  };
}

/**
 * One page of opted-in users (id after `after`) and each one's week: study time, the goals still
 * ahead with the hours logged toward them, and the scored attempts. A constant number of queries per
 * page, whatever its size.
 */
export async function weeklySummaryPage(db: Database, weekStart: string, after: string | undefined): Promise<WeeklySummary[]> {
  const from = Date.parse(`${weekStart}T00:00:00Z`);
  const to = from + WEEK_MS;
  const recipients = await db
    .select({ id: users.id, email: users.email, name: users.name })
    .from(users)
    .innerJoin(notificationPreferences, eq(notificationPreferences.userId, users.id))
    .where(and(eq(notificationPreferences.weeklySummary, true), after ? gt(users.id, after) : undefined))
    .orderBy(asc(users.id))
    .limit(WEEKLY_SUMMARY_PAGE_SIZE);
  if (recipients.length === 0) return [];
  const ids = recipients.map((user) => user.id);

  const [study, goals, goalHours, scored] = await Promise.all([
    db
      .select({
        userId: studySessions.userId,
        sessions: sql<number>`count(*)`,
        minutes: sql<number>`coalesce(sum(${studySessions.endedAt} - ${studySessions.startedAt}), 0) / 60000`,
      })
      .from(studySessions)
      .where(
        and(
          inList(studySessions.userId, ids),
          gte(studySessions.startedAt, from),
          lt(studySessions.startedAt, to),
          isNotNull(studySessions.endedAt),
        ),
      )
      .groupBy(studySessions.userId),
    db
      .select()
      .from(studyGoals)
      .where(and(inList(studyGoals.userId, ids), gte(studyGoals.targetDate, from)))
      .orderBy(asc(studyGoals.targetDate)),
    db
      .select({
        goalId: studySessions.goalId,
        hours: sql<number>`coalesce(sum(${studySessions.endedAt} - ${studySessions.startedAt}), 0) / 3600000.0`,
      })
      .from(studySessions)
      .where(and(inList(studySessions.userId, ids), isNotNull(studySessions.goalId), isNotNull(studySessions.endedAt)))
      .groupBy(studySessions.goalId),
    db
      .select({ userId: attempts.userId, title: tests.title, score: attempts.score, maxScore: attempts.maxScore })
      .from(attempts)
      .innerJoin(tests, eq(tests.id, attempts.testId))
      .where(
        and(inList(attempts.userId, ids), eq(attempts.status, "SCORED"), gte(attempts.submittedAt, from), lt(attempts.submittedAt, to)),
      )
      .orderBy(asc(attempts.submittedAt)),
  ]);

  const hoursByGoal = new Map(goalHours.map((row) => [row.goalId, row.hours]));
  return recipients.map((user) => {
    const week = study.find((row) => row.userId === user.id);
    return {
      userId: user.id,
      email: user.email,
      data: {
        name: user.name,
        weekStart,
        weekEnd: new Date(to - 86_400_000).toISOString().slice(0, 10),
        studyMinutes: Math.floor(week?.minutes ?? 0),
        sessions: week?.sessions ?? 0,
        goals: goals
          .filter((goal) => goal.userId === user.id)
          .slice(0, MAX_ROWS_PER_USER)
          .map((goal) => ({
            title: goal.title,
            targetHours: goal.targetHours,
            loggedHours: Math.round((hoursByGoal.get(goal.id) ?? 0) * 10) / 10,
            targetDate: iso(goal.targetDate),
          })),
        attempts: scored
          .filter((row) => row.userId === user.id)
          .slice(0, MAX_ROWS_PER_USER)
          .map((row) => ({ testTitle: row.title, score: row.score ?? 0, maxScore: row.maxScore ?? 0 })),
      },
    };
  });
}
