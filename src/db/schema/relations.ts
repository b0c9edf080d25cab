/** Relations for the relational query API (`db.query.x.findMany({ with: … })`); no effect on SQL. */
import { relations } from "drizzle-orm";
import { questionStats, testStats } from "./analytics";
import { apiKeys } from "./api-keys";
import { answers, attempts } from "./attempts";
import { couponRedemptions, coupons, plans, subscriptions } from "./billing";
import { errorLogs } from "./error-logs";
import { events } from "./events";
import { jobs } from "./jobs";
import { studyGoals, studySessions } from "./planner";
import { questions } from "./questions";
import { sessions } from "./sessions";
import { testSectionQuestions, testSections, tests } from "./tests";
import { uploads } from "./uploads";
import { userLogins, users } from "./users";
import { webhookDeliveries, webhooks } from "./webhooks";

export const usersRelations = relations(users, ({ many }) => ({
  sessions: many(sessions),
  logins: many(userLogins),
  apiKeys: many(apiKeys),
  uploads: many(uploads),
  questions: many(questions),
  tests: many(tests),
  attempts: many(attempts),
  webhooks: many(webhooks),
  subscriptions: many(subscriptions),
  studyGoals: many(studyGoals),
  studySessions: many(studySessions),
}));

export const sessionsRelations = relations(sessions, ({ one }) => ({
  user: one(users, { fields: [sessions.userId], references: [users.id] }),
}));

export const userLoginsRelations = relations(userLogins, ({ one }) => ({
  user: one(users, { fields: [userLogins.userId], references: [users.id] }),
}));

export const apiKeysRelations = relations(apiKeys, ({ one }) => ({
  owner: one(users, { fields: [apiKeys.ownerId], references: [users.id] }),
}));

export const errorLogsRelations = relations(errorLogs, ({ one }) => ({
  user: one(users, { fields: [errorLogs.userId], references: [users.id] }),
}));

export const jobsRelations = relations(jobs, ({ one }) => ({
  owner: one(users, { fields: [jobs.ownerId], references: [users.id] }),
}));

export const eventsRelations = relations(events, ({ many }) => ({
  deliveries: many(webhookDeliveries),
}));

export const webhooksRelations = relations(webhooks, ({ one, many }) => ({
  owner: one(users, { fields: [webhooks.ownerId], references: [users.id] }),
  deliveries: many(webhookDeliveries),
}));

export const webhookDeliveriesRelations = relations(webhookDeliveries, ({ one }) => ({
  webhook: one(webhooks, { fields: [webhookDeliveries.webhookId], references: [webhooks.id] }),
  event: one(events, { fields: [webhookDeliveries.eventId], references: [events.id] }),
}));

export const uploadsRelations = relations(uploads, ({ one }) => ({
  owner: one(users, { fields: [uploads.ownerId], references: [users.id] }),
}));

export const questionsRelations = relations(questions, ({ one, many }) => ({
  author: one(users, { fields: [questions.authorId], references: [users.id] }),
  image: one(uploads, { fields: [questions.imageUploadId], references: [uploads.id] }),
  stats: one(questionStats),
  sectionLinks: many(testSectionQuestions),
  answers: many(answers),
}));

export const testsRelations = relations(tests, ({ one, many }) => ({
  author: one(users, { fields: [tests.authorId], references: [users.id] }),
  sections: many(testSections),
  attempts: many(attempts),
  stats: one(testStats),
}));

export const testSectionsRelations = relations(testSections, ({ one, many }) => ({
  test: one(tests, { fields: [testSections.testId], references: [tests.id] }),
  questions: many(testSectionQuestions),
}));

export const testSectionQuestionsRelations = relations(testSectionQuestions, ({ one }) => ({
  section: one(testSections, { fields: [testSectionQuestions.sectionId], references: [testSections.id] }),
  question: one(questions, { fields: [testSectionQuestions.questionId], references: [questions.id] }),
}));

export const attemptsRelations = relations(attempts, ({ one, many }) => ({
  test: one(tests, { fields: [attempts.testId], references: [tests.id] }),
  user: one(users, { fields: [attempts.userId], references: [users.id] }),
  answers: many(answers),
}));

export const answersRelations = relations(answers, ({ one }) => ({
  attempt: one(attempts, { fields: [answers.attemptId], references: [attempts.id] }),
  question: one(questions, { fields: [answers.questionId], references: [questions.id] }),
}));

export const questionStatsRelations = relations(questionStats, ({ one }) => ({
  question: one(questions, { fields: [questionStats.questionId], references: [questions.id] }),
}));

export const testStatsRelations = relations(testStats, ({ one }) => ({
  test: one(tests, { fields: [testStats.testId], references: [tests.id] }),
}));

export const plansRelations = relations(plans, ({ many }) => ({
  subscriptions: many(subscriptions),
}));

export const couponsRelations = relations(coupons, ({ many }) => ({
  redemptions: many(couponRedemptions),
  subscriptions: many(subscriptions),
}));

export const subscriptionsRelations = relations(subscriptions, ({ one }) => ({
  user: one(users, { fields: [subscriptions.userId], references: [users.id] }),
  plan: one(plans, { fields: [subscriptions.planId], references: [plans.id] }),
  coupon: one(coupons, { fields: [subscriptions.couponId], references: [coupons.id] }),
}));

export const couponRedemptionsRelations = relations(couponRedemptions, ({ one }) => ({
  coupon: one(coupons, { fields: [couponRedemptions.couponId], references: [coupons.id] }),
  user: one(users, { fields: [couponRedemptions.userId], references: [users.id] }),
  subscription: one(subscriptions, {
    fields: [couponRedemptions.subscriptionId],
    references: [subscriptions.id],
  }),
}));

export const studyGoalsRelations = relations(studyGoals, ({ one, many }) => ({
  user: one(users, { fields: [studyGoals.userId], references: [users.id] }),
  sessions: many(studySessions),
}));

export const studySessionsRelations = relations(studySessions, ({ one }) => ({
  user: one(users, { fields: [studySessions.userId], references: [users.id] }),
  goal: one(studyGoals, { fields: [studySessions.goalId], references: [studyGoals.id] }),
}));
