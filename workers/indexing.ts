import { count, isNull } from "drizzle-orm";
import { questions, tests, type SearchKind } from "../src/db/schema";
import { clock } from "../src/lib/clock";
import { tombstoneOrphans } from "../src/lib/search/consistency";
import { indexResource, reindexPage } from "../src/lib/search/indexer";
import type { JobPayload } from "../src/lib/queue/job-types";
import type { JobHandler } from "./job-handler";

export const indexQuestionJob: JobHandler<JobPayload<"index.question">> = async ({ db, payload }) => ({
  searchable: await indexResource(db, "question", payload.questionId),
});

export const indexTestJob: JobHandler<JobPayload<"index.test">> = async ({ db, payload }) => ({
  searchable: await indexResource(db, "test", payload.testId),
});

/**
 * Rebuilds the index from the tables (after a restore, or to repair drift): every live question and
 * test is written again, page by page with progress, then documents whose row is gone are tombstoned.
 * Safe beside real-time sync: the version guard keeps whichever write saw the newer row.
 */
export const reindexJob: JobHandler<JobPayload<"index.rebuild">> = async ({ db, env, progress }) => {
  const [[questionCount], [testCount]] = await Promise.all([
    db.select({ n: count() }).from(questions).where(isNull(questions.deletedAt)),
    db.select({ n: count() }).from(tests).where(isNull(tests.deletedAt)),
  ]);
  const total = Math.max(1, (questionCount?.n ?? 0) + (testCount?.n ?? 0));
  const written: Record<SearchKind, number> = { question: 0, test: 0 };
  for (const kind of ["question", "test"] as const) {
    let after: string | null = null;
    do {
      const page = await reindexPage(db, kind, after);
      written[kind] += page.count;
      after = page.last;
      await progress(((written.question + written.test) / total) * 99, `${kind}s: ${written[kind]}`);
    } while (after);
  }
  const tombstoned = await tombstoneOrphans(env.DB, clock.now());
  return { questions: written.question, tests: written.test, tombstoned };
};
