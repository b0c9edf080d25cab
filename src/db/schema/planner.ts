import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const studyGoals = sqliteTable(
  "study_goals",
  {
    id: text("id").primaryKey(), // gol_
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    title: text("title").notNull(),
    subject: text("subject"),
    /** Epoch ms (start of the target day in the user's timezone). */
    targetDate: integer("target_date").notNull(),
    targetHours: real("target_hours").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (t) => [index("study_goals_user_id_target_date_idx").on(t.userId, t.targetDate)],
);

export type StudyGoal = typeof studyGoals.$inferSelect;
export type NewStudyGoal = typeof studyGoals.$inferInsert;

export const studySessions = sqliteTable(
  "study_sessions",
  {
    id: text("id").primaryKey(), // sss_
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    goalId: text("goal_id").references(() => studyGoals.id, { onDelete: "set null" }),
    subject: text("subject"),
    startedAt: integer("started_at").notNull(),
    /** Null while the session is running. */
    endedAt: integer("ended_at"),
    notes: text("notes"),
    createdAt: integer("created_at").notNull(),
  },
  (t) => [index("study_sessions_user_id_started_at_idx").on(t.userId, t.startedAt), index("study_sessions_goal_id_idx").on(t.goalId)],
);

export type StudySession = typeof studySessions.$inferSelect;
export type NewStudySession = typeof studySessions.$inferInsert;
