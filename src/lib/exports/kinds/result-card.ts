import { eq } from "drizzle-orm";
import { z } from "zod";
import { answers, tests, users } from "../../../db/schema";
import { attemptPercentile } from "../../analytics/percentile";
import { effectiveMarks } from "../../exam/questions";
import { loadSections } from "../../exam/tests";
import { defineExportKind } from "../kind";
import { ReportDocument } from "../pdf/document";
import { formatDateTime, formatDuration, percent, score } from "../report-text";
import { describeAnswer, describeKey, plain } from "../../exam/answer-text";
import { attemptIdParam, finishedOwnAttempt } from "./access";

/** A scored answer's outcome in words. */
function outcome(answer: { answer: unknown; isCorrect: boolean | null; gradedMarks: number | null } | undefined, subjective: boolean) {
  if (!answer || answer.answer === null || answer.answer === undefined) return "Unattempted";
  if (subjective) return answer.gradedMarks === null ? "Awaiting grading" : "Graded";
  return answer.isCorrect ? "Correct" : "Incorrect";
}

/**
 * One attempt's result card for its taker: the test, date, score, sections, accuracy, percentile and
 * time, and per question the response with — once scored — its outcome, marks, the correct answer and
 * the explanation. A submitted attempt not yet scored shows the responses only.
 */
export const resultCardExport = defineExportKind({
  summary: "Result card (student): one attempt's score, sections and questions (PDF)",
  formats: ["pdf"],
  roles: ["student", "instructor", "admin"],
  params: z.strictObject({ attemptId: attemptIdParam }),
  async authorize(db, requester, params) {
    const attempt = await finishedOwnAttempt(db, requester, params.attemptId);
    const test = await db.select({ title: tests.title }).from(tests).where(eq(tests.id, attempt.testId)).get();
    return `${test?.title ?? "test"}-result-card`;
  },
  async write(run, params) {
    const attempt = await finishedOwnAttempt(run.db, run.requester, params.attemptId);
    const [[test], [taker], answerRows, sections, percentile] = await Promise.all([
      run.db.select({ title: tests.title }).from(tests).where(eq(tests.id, attempt.testId)),
      run.db.select({ name: users.name, timezone: users.timezone }).from(users).where(eq(users.id, attempt.userId)),
      run.db.select().from(answers).where(eq(answers.attemptId, attempt.id)),
      loadSections(run.db, attempt.testId),
      attemptPercentile(run.db, attempt),
    ]);
    const scored = attempt.status === "SCORED" && attempt.result !== null;
    const result = attempt.result;
    const zone = taker?.timezone ?? "UTC";
    const doc = await ReportDocument.create({ title: "Result card", subtitle: test?.title, generatedAt: new Date(run.row.createdAt) });
    doc.keyValues([
      ["Candidate", taker?.name ?? "—"],
      ["Test", test?.title ?? "—"],
      ["Submitted", attempt.submittedAt ? formatDateTime(attempt.submittedAt, zone) : "—"],
      [
        "Score",
        scored
          ? `${score(result!.score)} / ${score(result!.maxScore)} (${percent(result!.maxScore > 0 ? result!.score / result!.maxScore : null)})`
          : "Not scored yet",
      ],
      ["Accuracy", scored ? percent(result!.accuracy) : "—"],
      ["Percentile", percentile === null ? "—" : `${percentile}`],
      [
        "Time taken",
        result
          ? formatDuration(result.timeTakenSeconds)
          : formatDuration(((attempt.submittedAt ?? attempt.startedAt) - attempt.startedAt) / 1000),
      ],
      ...(scored && result!.provisional ? ([["Note", "Provisional: some written answers await grading."]] as [string, string][]) : []),
    ]);

    if (scored) {
      doc.heading("Sections", 2);
      doc.table({
        columns: [
          { header: "Section", width: 4 },
          { header: "Score", width: 2, align: "right" },
          { header: "Correct", width: 1.5, align: "right" },
          { header: "Incorrect", width: 1.5, align: "right" },
          { header: "Unattempted", width: 1.8, align: "right" },
          { header: "Accuracy", width: 1.6, align: "right" },
        ],
        rows: result!.sections.map((s) => [
          s.title,
          `${score(s.score)} / ${score(s.maxScore)}`,
          String(s.correct),
          String(s.incorrect),
          String(s.unattempted),
          percent(s.accuracy),
        ]),
        zebra: true,
      });
    }

    const byQuestion = new Map(answerRows.map((row) => [row.questionId, row]));
    const total = sections.reduce((n, s) => n + s.questions.length, 0);
    let number = 0;
    for (const { section, questions } of sections) {
      doc.heading(section.title, 2);
      const explanations: string[] = [];
      doc.table({
        columns: scored
          ? [
              { header: "#", width: 0.6, align: "right" },
              { header: "Question", width: 5 },
              { header: "Your answer", width: 3 },
              { header: "Correct answer", width: 3 },
              { header: "Outcome", width: 1.8 },
              { header: "Marks", width: 1.2, align: "right" },
            ]
          : [
              { header: "#", width: 0.6, align: "right" },
              { header: "Question", width: 6 },
              { header: "Your answer", width: 4 },
            ],
        rows: questions.map((question) => {
          number++;
          const answer = byQuestion.get(question.id);
          const response = describeAnswer(question, answer?.answer);
          if (!scored) return [String(number), plain(question.body), response];
          if (question.explanation) explanations.push(`${number}. ${plain(question.explanation, 1200)}`);
          const marks = answer?.gradedMarks ?? answer?.marksAwarded ?? 0;
          return [
            String(number),
            plain(question.body),
            response,
            describeKey(question),
            outcome(answer, question.type === "SUBJECTIVE"),
            `${score(marks)} / ${score(effectiveMarks(question, section).marks)}`,
          ];
        }),
        zebra: true,
      });
      if (explanations.length > 0) {
        doc.heading("Explanations", 2);
        for (const text of explanations) doc.paragraph(text);
      }
      await run.progress(number, total);
    }
    await run.write(await doc.save());
    return total;
  },
});
