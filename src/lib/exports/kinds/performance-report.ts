import { eq } from "drizzle-orm";
import { z } from "zod";
import { users, type AttemptResult } from "../../../db/schema";
import { csvRow } from "../../csv";
import { ApiError } from "../../errors";
import { csvOutput } from "../csv-output";
import { defineExportKind } from "../kind";
import { ReportDocument } from "../pdf/document";
import { formatDateTime, formatDuration, percent, score } from "../report-text";
import type { ExportRun } from "../run";

/** A topic needs this many attempted questions before it can be called strongest or weakest. */
const MIN_ANSWERS_TO_RANK = 3;
/** Strongest and weakest: this many each. */
const RANKED_TOPICS = 3;
const PAGE_ROWS = 500;

interface AttemptLine {
  id: string;
  title: string;
  submittedAt: number;
  score: number;
  maxScore: number;
  accuracy: number;
  timeTakenSeconds: number;
}

interface TopicLine {
  subject: string;
  topic: string;
  attempted: number;
  correct: number;
  seconds: number;
}

const period = z
  .strictObject({ from: z.iso.datetime({ offset: true }).optional(), to: z.iso.datetime({ offset: true }).optional() })
  .refine((p) => !p.from || !p.to || Date.parse(p.from) < Date.parse(p.to), { path: ["to"], message: "`to` must be after `from`" });

type Period = z.infer<typeof period>;

function range(params: Period, createdAt: number): [number, number] {
  return [params.from ? Date.parse(params.from) : 0, Math.min(params.to ? Date.parse(params.to) : createdAt, createdAt)];
}

/** The requester's scored attempts in the period, oldest first (a page at a time; a student has hundreds at most). */
async function scoredAttempts(run: ExportRun, from: number, to: number): Promise<AttemptLine[]> {
  const lines: AttemptLine[] = [];
  let after = "";
  for (;;) {
    const { results } = await run.d1
      .prepare(
        `SELECT a.id, t.title, a.submitted_at, a.result FROM attempts a JOIN tests t ON t.id = a.test_id
         WHERE a.user_id = ? AND a.status = 'SCORED' AND a.submitted_at >= ? AND a.submitted_at < ? AND a.id > ?
         ORDER BY a.id LIMIT ${PAGE_ROWS}`,
      )
      .bind(run.requester.id, from, to, after)
      .all<{ id: string; title: string; submitted_at: number; result: string }>();
    for (const row of results) {
      const result = JSON.parse(row.result) as AttemptResult;
      lines.push({
        id: row.id,
        title: row.title,
        submittedAt: row.submitted_at,
        score: result.score,
        maxScore: result.maxScore,
        accuracy: result.accuracy,
        timeTakenSeconds: result.timeTakenSeconds,
      });
    }
    if (results.length < PAGE_ROWS) break;
    after = results.at(-1)!.id;
  }
  return lines.sort((a, b) => a.submittedAt - b.submittedAt);
}

/** Attempted and correct answers and time spent, per subject and topic, summed by D1. */
async function topicTotals(run: ExportRun, from: number, to: number): Promise<TopicLine[]> {
  const { results } = await run.d1
    .prepare(
      `SELECT q.subject, coalesce(q.topic, '') AS topic, sum(an.answer IS NOT NULL) AS attempted, sum(an.is_correct = 1) AS correct,
         sum(an.time_spent_seconds) AS seconds
       FROM answers an JOIN attempts a ON a.id = an.attempt_id JOIN questions q ON q.id = an.question_id
       WHERE a.user_id = ? AND a.status = 'SCORED' AND a.submitted_at >= ? AND a.submitted_at < ?
       GROUP BY q.subject, q.topic ORDER BY q.subject, q.topic`,
    )
    .bind(run.requester.id, from, to)
    .all<TopicLine>();
  return results;
}

const accuracyOf = (line: { attempted: number; correct: number }) => (line.attempted > 0 ? line.correct / line.attempted : null);
const secondsPerQuestion = (line: { attempted: number; seconds: number }) => (line.attempted > 0 ? line.seconds / line.attempted : null);
const topicName = (line: TopicLine) => (line.topic ? `${line.subject} / ${line.topic}` : line.subject);

/** The strongest and weakest topics by accuracy, among those with enough answers to tell. */
function standings(topics: TopicLine[]): Map<TopicLine, "strongest" | "weakest"> {
  const ranked = topics.filter((t) => t.attempted >= MIN_ANSWERS_TO_RANK).sort((a, b) => accuracyOf(b)! - accuracyOf(a)!);
  const marks = new Map<TopicLine, "strongest" | "weakest">();
  const count = Math.min(RANKED_TOPICS, Math.floor(ranked.length / 2));
  for (const topic of ranked.slice(0, count)) marks.set(topic, "strongest");
  for (const topic of ranked.slice(ranked.length - count)) marks.set(topic, "weakest");
  return marks;
}

/** Per subject: the topics' totals added up. */
function subjectTotals(topics: TopicLine[]): TopicLine[] {
  const bySubject = new Map<string, TopicLine>();
  for (const t of topics) {
    const total = bySubject.get(t.subject) ?? { subject: t.subject, topic: "", attempted: 0, correct: 0, seconds: 0 };
    total.attempted += t.attempted;
    total.correct += t.correct;
    total.seconds += t.seconds;
    bySubject.set(t.subject, total);
  }
  return [...bySubject.values()];
}

const CSV_HEADER = [
  "record",
  "date",
  "test",
  "subject",
  "topic",
  "score",
  "max_score",
  "percent",
  "attempted",
  "correct",
  "accuracy",
  "seconds_per_question",
  "standing",
];

/**
 * The requester's performance over their scored attempts (optionally within `from`–`to`): scores over
 * time, accuracy by subject and topic, time per question, strongest and weakest topics. The PDF
 * draws it; the CSV holds the same figures as one table, a row per attempt and per topic.
 */
export const performanceReportExport = defineExportKind({
  summary: "Performance report (student): scores over time, accuracy by subject and topic (PDF, CSV)",
  formats: ["pdf", "csv"],
  roles: ["student", "instructor", "admin"],
  params: period,
  async authorize() {
    return "performance-report";
  },
  async write(run, params) {
    const [from, to] = range(params, run.row.createdAt);
    const attemptLines = await scoredAttempts(run, from, to);
    await run.progress(1, 3);
    const topics = await topicTotals(run, from, to);
    await run.progress(2, 3);
    const standing = standings(topics);

    if (run.row.format === "csv") {
      const out = await csvOutput(run, CSV_HEADER);
      for (const a of attemptLines) {
        const pct = a.maxScore > 0 ? Math.round((a.score / a.maxScore) * 10000) / 100 : null;
        await out.write(
          csvRow([
            "attempt",
            new Date(a.submittedAt).toISOString(),
            a.title,
            null,
            null,
            a.score,
            a.maxScore,
            pct,
            null,
            null,
            a.accuracy,
            null,
            null,
          ]),
        );
      }
      for (const t of topics) {
        const perQuestion = secondsPerQuestion(t);
        await out.write(
          csvRow([
            "topic",
            null,
            null,
            t.subject,
            t.topic || null,
            null,
            null,
            null,
            t.attempted,
            t.correct,
            accuracyOf(t),
            perQuestion === null ? null : Math.round(perQuestion * 10) / 10,
            standing.get(t) ?? null,
          ]),
        );
      }
      await out.flush();
      return attemptLines.length + topics.length;
    }

    const reader = await run.db
      .select({ name: users.name, timezone: users.timezone })
      .from(users)
      .where(eq(users.id, run.requester.id))
      .get();
    if (!reader) throw new ApiError("not_found", "The account no longer exists.");
    const doc = await ReportDocument.create({
      title: "Performance report",
      subtitle: reader.name,
      generatedAt: new Date(run.row.createdAt),
    });
    const totals = topics.reduce(
      (sum, t) => ({ attempted: sum.attempted + t.attempted, correct: sum.correct + t.correct, seconds: sum.seconds + t.seconds }),
      { attempted: 0, correct: 0, seconds: 0 },
    );
    const percents = attemptLines.filter((a) => a.maxScore > 0).map((a) => a.score / a.maxScore);
    doc.keyValues([
      ["Period", `${params.from ? formatDateTime(from, reader.timezone) : "All time"} – ${formatDateTime(to, reader.timezone)}`],
      ["Scored attempts", String(attemptLines.length)],
      ["Average score", percents.length > 0 ? percent(percents.reduce((s, p) => s + p, 0) / percents.length) : "—"],
      ["Best score", percents.length > 0 ? percent(Math.max(...percents)) : "—"],
      ["Accuracy", percent(accuracyOf(totals))],
      ["Time per question", totals.attempted > 0 ? formatDuration(totals.seconds / totals.attempted) : "—"],
    ]);
    if (attemptLines.length === 0) doc.paragraph("No scored attempts in this period yet.");
    else {
      doc.lineChart({
        title: "Score over time (% of the maximum)",
        points: attemptLines.map((a) => ({
          label: formatDateTime(a.submittedAt, reader.timezone).slice(0, 10),
          value: a.maxScore > 0 ? (a.score / a.maxScore) * 100 : 0,
        })),
        yMax: 100,
        yLabel: "%",
      });
      doc.heading("Attempts", 2);
      doc.table({
        columns: [
          { header: "Date", width: 2.4 },
          { header: "Test", width: 5 },
          { header: "Score", width: 2, align: "right" },
          { header: "Accuracy", width: 1.6, align: "right" },
          { header: "Time", width: 1.8, align: "right" },
        ],
        rows: attemptLines.map((a) => [
          formatDateTime(a.submittedAt, reader.timezone),
          a.title,
          `${score(a.score)} / ${score(a.maxScore)}`,
          percent(a.accuracy),
          formatDuration(a.timeTakenSeconds),
        ]),
        zebra: true,
      });
    }
    const topicColumns = [
      { header: "Subject / topic", width: 5 },
      { header: "Attempted", width: 1.6, align: "right" as const },
      { header: "Correct", width: 1.4, align: "right" as const },
      { header: "Accuracy", width: 1.6, align: "right" as const },
      { header: "Time / question", width: 2, align: "right" as const },
    ];
    const topicRow = (t: TopicLine, name: string) => {
      const perQuestion = secondsPerQuestion(t);
      return [
        name,
        String(t.attempted),
        String(t.correct),
        percent(accuracyOf(t)),
        perQuestion === null ? "—" : formatDuration(perQuestion),
      ];
    };
    if (topics.length > 0) {
      doc.heading("By subject", 2);
      doc.table({ columns: topicColumns, rows: subjectTotals(topics).map((t) => topicRow(t, t.subject)), zebra: true });
      doc.heading("By topic", 2);
      doc.table({ columns: topicColumns, rows: topics.map((t) => topicRow(t, topicName(t))), zebra: true });
      const strongest = topics.filter((t) => standing.get(t) === "strongest");
      const weakest = topics.filter((t) => standing.get(t) === "weakest");
      doc.heading("Strongest and weakest topics", 2);
      if (strongest.length === 0)
        doc.paragraph(`Answer at least ${MIN_ANSWERS_TO_RANK} questions in two or more topics to see your strongest and weakest.`);
      else {
        doc.paragraph(`Strongest: ${strongest.map((t) => `${topicName(t)} (${percent(accuracyOf(t))})`).join(", ")}`);
        doc.paragraph(`Weakest: ${weakest.map((t) => `${topicName(t)} (${percent(accuracyOf(t))})`).join(", ")}`);
      }
    }
    await run.write(await doc.save());
    return attemptLines.length;
  },
});
