import { eq, sql } from "drizzle-orm";
import { answers, type Attempt } from "../../db/schema";

/**
 * Time a candidate reports on answers is client-measured, so it is bounded by what the attempt
 * allowed: its duration (deadline minus start, fixed when it began even if the test is edited later),
 * per answer and summed over the attempt. Analytics add up only bounded times.
 */
export function allowedSeconds(attempt: Pick<Attempt, "startedAt" | "deadlineAt">): number {
  return Math.max(0, Math.floor((attempt.deadlineAt - attempt.startedAt) / 1000));
}

/**
 * The seconds to add for one report, as SQL evaluated inside the answer's upsert: the report, cut to
 * what the attempt has left. The sum it reads and the write it feeds are one statement, and D1 runs
 * statements one at a time, so concurrent reports cannot together pass the allowance. (The sum includes
 * the answer's own row when it exists, so "own + this" stays within "allowance − others" too.)
 */
export function boundedSecondsSql(attemptId: string, reported: number, allowance: number) {
  return sql<number>`max(0, min(${reported}, ${allowance} - coalesce((select sum(${answers.timeSpentSeconds}) from ${answers} where ${eq(answers.attemptId, attemptId)}), 0)))`;
}

/**
 * Per-question times as analytics may count them: each within the allowance and, in question order,
 * their running sum too. Stored times already obey this; it holds for rows written before the bound.
 */
export function boundedTimes(times: readonly number[], allowance: number): number[] {
  let left = allowance;
  return times.map((seconds) => {
    const bounded = Math.max(0, Math.min(seconds, left));
    left -= bounded;
    return bounded;
  });
}
