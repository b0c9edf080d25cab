import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../../db";
import { attempts, tests, type Attempt, type Test } from "../../../db/schema";
import { ApiError } from "../../errors";
import { idInput } from "../../validation/ids";
import type { Requester } from "../run";

export const testIdParam = idInput("test");
export const attemptIdParam = idInput("attempt");

/** A test its author or an admin exports; anyone else is told it does not exist. */
export async function managedTest(db: Database, requester: Requester, testId: string): Promise<Test> {
  const test = await db
    .select()
    .from(tests)
    .where(and(eq(tests.id, testId), isNull(tests.deletedAt)))
    .get();
  if (!test || (test.authorId !== requester.id && requester.role !== "admin")) throw ApiError.notFound("test");
  return test;
}

/** An attempt its taker (or an admin) exports once it is over; anyone else is told it does not exist. */
export async function finishedOwnAttempt(db: Database, requester: Requester, attemptId: string): Promise<Attempt> {
  const attempt = await db.select().from(attempts).where(eq(attempts.id, attemptId)).get();
  if (!attempt || (attempt.userId !== requester.id && requester.role !== "admin")) throw ApiError.notFound("attempt");
  // A result card of a running attempt would be a way to read the test while taking it.
  if (attempt.status === "IN_PROGRESS")
    throw new ApiError("conflict", "The attempt is still in progress; export its result card once it is submitted.");
  return attempt;
}
