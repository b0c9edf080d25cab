import { z } from "zod";
import type { AttemptResult } from "../../../db/schema";
import { ItemAnalysis, interpretDifficulty, interpretDiscrimination, type AttemptScore } from "../../analytics/item-analysis";
import { effectiveMarks } from "../../exam/questions";
import { loadSections } from "../../exam/tests";
import { defineExportKind } from "../kind";
import { ReportDocument } from "../pdf/document";
import { formatDuration, percent, score } from "../report-text";
import { optionLetter, plain } from "../../exam/answer-text";
import type { ExportRun } from "../run";
import { managedTest, testIdParam } from "./access";

/** Scores read per query; 5,000 attempts are a few pages of three numbers each. */
const SCORE_PAGE_ROWS = 2000;
/** Attempts whose answers one query reads (90 questions each: ~4,500 rows). */
const ANSWER_BATCH_ATTEMPTS = 50;
const HISTOGRAM_BUCKETS = 10;

interface ScoredAttempt extends AttemptScore {
  maxScore: number;
  sections: AttemptResult["sections"];
}

async function scoredAttempts(run: ExportRun, testId: string): Promise<ScoredAttempt[]> {
  const attempts: ScoredAttempt[] = [];
  let after = "";
  for (;;) {
    const { results } = await run.d1
      .prepare(
        `SELECT id, score, max_score, result FROM attempts WHERE test_id = ? AND status = 'SCORED' AND id > ? ORDER BY id LIMIT ${SCORE_PAGE_ROWS}`,
      )
      .bind(testId, after)
      .all<{ id: string; score: number; max_score: number; result: string | null }>();
    for (const row of results) {
      const sections = row.result ? (JSON.parse(row.result) as AttemptResult).sections : [];
      attempts.push({ attemptId: row.id, score: row.score, maxScore: row.max_score, sections });
    }
    if (results.length < SCORE_PAGE_ROWS) return attempts;
    after = results.at(-1)!.id;
  }
}

function mean(values: number[]): number | null {
  return values.length > 0 ? values.reduce((s, v) => s + v, 0) / values.length : null;
}

function standardDeviation(values: number[]): number | null {
  const m = mean(values);
  return m === null ? null : Math.sqrt(values.reduce((s, v) => s + (v - m) ** 2, 0) / values.length);
}

/** How many attempts scored in each tenth of the maximum. */
function histogram(attempts: ScoredAttempt[]) {
  const counts = new Array<number>(HISTOGRAM_BUCKETS).fill(0);
  for (const a of attempts) {
    const fraction = a.maxScore > 0 ? Math.max(0, Math.min(1, a.score / a.maxScore)) : 0;
    counts[Math.min(HISTOGRAM_BUCKETS - 1, Math.floor(fraction * HISTOGRAM_BUCKETS))]!++;
  }
  const width = 100 / HISTOGRAM_BUCKETS;
  return counts.map((count, i) => ({ label: `${i * width}–${(i + 1) * width}`, value: count }));
}

/**
 * A test's analytics report for its instructor: the score distribution as a chart, section
 * statistics, and per question the difficulty index, the discrimination index (upper and lower 27%),
 * how often each option was chosen and the average time. Scores are read first (one number per
 * attempt), then the answers in batches of attempts, each folded into the item statistics and dropped.
 */
export const testAnalyticsExport = defineExportKind({
  summary: "Test analytics (instructor): distribution, sections, difficulty and discrimination per question (PDF)",
  formats: ["pdf"],
  roles: ["instructor", "admin"],
  params: z.strictObject({ testId: testIdParam }),
  async authorize(db, requester, params) {
    return `${(await managedTest(db, requester, params.testId)).title}-analytics`;
  },
  async write(run, params) {
    const test = await managedTest(run.db, run.requester, params.testId);
    const sections = await loadSections(run.db, test.id);
    const items = sections.flatMap(({ section, questions }) =>
      questions.map((question) => ({ section, question, marks: effectiveMarks(question, section).marks })),
    );
    const attempts = await scoredAttempts(run, test.id);
    const analysis = new ItemAnalysis(
      items.map(({ question, marks }) => ({ id: question.id, type: question.type, optionCount: question.options?.length ?? 0, marks })),
      attempts,
    );
    for (let i = 0; i < attempts.length; i += ANSWER_BATCH_ATTEMPTS) {
      const ids = attempts.slice(i, i + ANSWER_BATCH_ATTEMPTS).map((a) => a.attemptId);
      const { results } = await run.d1
        .prepare(
          `SELECT attempt_id, question_id, answer, is_correct, coalesce(graded_marks, marks_awarded) AS marks, time_spent_seconds
           FROM answers WHERE attempt_id IN (SELECT value FROM json_each(?))`,
        )
        .bind(JSON.stringify(ids))
        .all<{
          attempt_id: string;
          question_id: string;
          answer: string | null;
          is_correct: number | null;
          marks: number | null;
          time_spent_seconds: number;
        }>();
      for (const row of results) {
        analysis.add({
          attemptId: row.attempt_id,
          questionId: row.question_id,
          answer: row.answer === null ? null : JSON.parse(row.answer),
          isCorrect: row.is_correct === null ? null : row.is_correct === 1,
          marks: row.marks,
          timeSpentSeconds: row.time_spent_seconds,
        });
      }
      await run.progress(i + ids.length, attempts.length, "Reading answers");
    }

    const doc = await ReportDocument.create({ title: "Test analytics", subtitle: test.title, generatedAt: new Date(run.row.createdAt) });
    const scores = attempts.map((a) => a.score);
    const maxScore = attempts[0]?.maxScore ?? items.reduce((s, i) => s + i.marks, 0);
    doc.keyValues([
      ["Test", test.title],
      ["Scored attempts", String(attempts.length)],
      ["Maximum score", score(maxScore)],
      ["Mean score", score(mean(scores))],
      ["Standard deviation", score(standardDeviation(scores))],
      ["Lowest / highest", scores.length > 0 ? `${score(Math.min(...scores))} / ${score(Math.max(...scores))}` : "—"],
      ["Upper and lower groups", analysis.groupSize > 0 ? `${analysis.groupSize} attempts each (27%)` : "Too few attempts"],
    ]);
    doc.barChart({ title: "Score distribution", bars: histogram(attempts), xLabel: "% of the maximum score", yLabel: "Attempts" });

    doc.heading("Sections", 2);
    doc.table({
      columns: [
        { header: "Section", width: 4 },
        { header: "Questions", width: 1.5, align: "right" },
        { header: "Mean score", width: 2, align: "right" },
        { header: "Max", width: 1.2, align: "right" },
        { header: "Mean accuracy", width: 2, align: "right" },
      ],
      rows: sections.map(({ section, questions }, index) => {
        const results = attempts.map((a) => a.sections[index]).filter((s) => s !== undefined);
        return [
          section.title,
          String(questions.length),
          score(mean(results.map((s) => s.score))),
          score(results[0]?.maxScore ?? null),
          percent(mean(results.map((s) => s.accuracy))),
        ];
      }),
      zebra: true,
    });

    doc.heading("Questions", 2);
    doc.paragraph(
      "Difficulty index p: the share of attempts that answered correctly (written answers: the mean share of the marks). Discrimination index D: p in the top 27% of attempts by total score minus p in the bottom 27%; 0.40 or more discriminates excellently, below 0.20 poorly, and a negative D means weaker candidates did better.",
      { size: 8 },
    );
    const statistics = analysis.result();
    doc.table({
      columns: [
        { header: "#", width: 0.6, align: "right" },
        { header: "Question", width: 5 },
        { header: "Type", width: 1.3 },
        { header: "p", width: 1.9, align: "right" },
        { header: "D", width: 1.9, align: "right" },
        { header: "Options chosen", width: 3.4 },
        { header: "Avg time", width: 1.6, align: "right" },
      ],
      rows: statistics.map((stat, index) => {
        const { question } = items[index]!;
        const options = stat.optionCounts
          ? stat.optionCounts
              .map((count, option) => `${optionLetter(option)} ${percent(stat.examinees > 0 ? count / stat.examinees : null, 0)}`)
              .join("  ")
          : "—";
        return [
          String(index + 1),
          plain(question.body, 160),
          question.type,
          stat.difficultyIndex === null ? "—" : `${stat.difficultyIndex.toFixed(2)} ${interpretDifficulty(stat.difficultyIndex)}`,
          stat.discriminationIndex === null
            ? "—"
            : `${stat.discriminationIndex.toFixed(2)} ${interpretDiscrimination(stat.discriminationIndex)}`,
          options,
          stat.averageTimeSeconds === null ? "—" : formatDuration(stat.averageTimeSeconds),
        ];
      }),
      zebra: true,
    });
    await run.write(await doc.save());
    return items.length;
  },
});
