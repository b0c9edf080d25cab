import { and, asc, eq, lte } from "drizzle-orm";
import { systemAuditEntry } from "../../src/lib/audit/writer";
import { submitStatements } from "../../src/lib/exam/attempts";
import { attempts, tests } from "../../src/db/schema";
import type { CronTask } from "../cron";

/** Attempts handled per tick; a backlog drains over the following minutes. */
const BATCH = 100;

/**
 * Submits every attempt still IN_PROGRESS past its deadline (the taker closed the tab, lost the
 * connection, or just ran out of time) and enqueues its scoring, exactly as a manual submit would.
 * Each submit is guarded, so a taker submitting at the same moment produces one transition.
 */
export const autoSubmitAttempts: CronTask = {
  name: "auto-submit-attempts",
  async run({ env, db, logger, now }) {
    const expired = await db
      .select({
        id: attempts.id,
        userId: attempts.userId,
        testId: attempts.testId,
        deadlineAt: attempts.deadlineAt,
        testAuthorId: tests.authorId,
      })
      .from(attempts)
      .innerJoin(tests, eq(tests.id, attempts.testId))
      .where(and(eq(attempts.status, "IN_PROGRESS"), lte(attempts.deadlineAt, now)))
      .orderBy(asc(attempts.deadlineAt))
      .limit(BATCH);
    let submitted = 0;
    for (const attempt of expired) {
      const audit = systemAuditEntry({
        action: "attempt.submitted",
        target: { type: "attempt", id: attempt.id },
        metadata: { testId: attempt.testId, auto: true, userId: attempt.userId },
      });
      const submit = submitStatements(db, attempt, attempt.testAuthorId, audit, attempt.deadlineAt, true);
      try {
        const results = await db.batch(submit.statements);
        if (!submit.transitioned(results)) continue;
        submitted++;
        await submit.send(env);
      } catch (error) {
        logger.error("auto-submit failed", { attemptId: attempt.id, error: String(error) });
      }
    }
    return { expired: expired.length, submitted };
  },
};
