import { eq } from "drizzle-orm";
import type { Database } from "../../db";
import { notificationPreferences } from "../../db/schema";
import { clock } from "../clock";

/** The mail a user may turn off; everything else (security, account, billing) is transactional and always sent. */
export const NOTIFICATION_KINDS = ["resultReady", "subjectiveGraded", "weeklySummary"] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];
export type Preferences = Record<NotificationKind, boolean>;

/** Without a row: results and grading on, the weekly summary off (it is opt-in). */
const DEFAULT_PREFERENCES: Preferences = { resultReady: true, subjectiveGraded: true, weeklySummary: false };

export async function preferencesOf(db: Database, userId: string): Promise<Preferences> {
  const row = await db.select().from(notificationPreferences).where(eq(notificationPreferences.userId, userId)).get();
  return row
    ? { resultReady: row.resultReady, subjectiveGraded: row.subjectiveGraded, weeklySummary: row.weeklySummary }
    : DEFAULT_PREFERENCES;
}

/** Upserts the changed kinds, keeping the others at their current value (or default). Un-executed statement. */
export function setPreferencesStatement(db: Database, userId: string, current: Preferences, changes: Partial<Preferences>) {
  const next = { ...current, ...changes };
  return db
    .insert(notificationPreferences)
    .values({ userId, ...next, updatedAt: clock.now() })
    .onConflictDoUpdate({ target: notificationPreferences.userId, set: { ...changes, updatedAt: clock.now() } });
}
