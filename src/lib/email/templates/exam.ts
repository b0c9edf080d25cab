import { z } from "zod";
import { button, greeting, heading, note, paragraph, quote, strong, table } from "./blocks";
import { displayName, httpUrl, title } from "./fields";
import { formatNumber, subjectLine } from "./format";
import { renderLayout } from "./layout";
import { defineTemplate } from "./template";

/** Notifications about a candidate's attempts: a result is ready, an answer was graded. */

const score = (value: number, max: number) => `${formatNumber(value)}/${formatNumber(max)}`;

export const resultReady = defineTemplate({
  name: "result_ready",
  description: "A scored attempt's result, section by section, once scoring finishes.",
  category: "notification",
  sensitive: false,
  preference: "resultReady",
  data: z.strictObject({
    name: displayName,
    testTitle: title,
    score: z.number(),
    maxScore: z.number(),
    percentage: z.number(),
    provisional: z.boolean(),
    sections: z.array(z.strictObject({ title, score: z.number(), maxScore: z.number() })).max(50),
    resultUrl: httpUrl,
  }),
  sample: {
    name: "Ada Lovelace",
    testTitle: "GATE CS Mock Test 3",
    score: 72.5,
    maxScore: 100,
    percentage: 72.5,
    provisional: true,
    sections: [
      { title: "General Aptitude", score: 12, maxScore: 15 },
      { title: "Core Computer Science", score: 48.5, maxScore: 65 },
      { title: "Engineering Mathematics", score: 12, maxScore: 20 },
    ],
    resultUrl: "https://app.proctor.example/attempts/att_01JDX3W8Q6N0Z5V1Y2K7T4R9HC",
  },
  render: (data, ctx) =>
    renderLayout(
      {
        subject: subjectLine`Your result for ${data.testTitle}: ${score(data.score, data.maxScore)} ${data.provisional ? "(provisional)" : ""}`,
        preheader: `You scored ${score(data.score, data.maxScore)} (${formatNumber(data.percentage)}%).`,
        heading: "Your result is ready",
        blocks: [
          greeting(data.name),
          paragraph("Your result for ", strong(data.testTitle), " is ready."),
          paragraph("You scored ", strong(`${score(data.score, data.maxScore)} (${formatNumber(data.percentage)}%)`), "."),
          ...(data.provisional
            ? [note("This score is provisional: some subjective answers are still being graded, and it will change as they are.")]
            : []),
          ...(data.sections.length > 0
            ? [
                heading("Sections"),
                table(
                  ["Section", "Score"],
                  data.sections.map((section) => [section.title, score(section.score, section.maxScore)]),
                ),
              ]
            : []),
          button("View your result", data.resultUrl),
        ],
        reason: `You received this email because you asked ${ctx.appName} to tell you when your test results are ready.`,
      },
      ctx,
    ),
});

export const subjectiveGraded = defineTemplate({
  name: "subjective_graded",
  description: "A grader marked one of the candidate's subjective answers.",
  category: "notification",
  sensitive: false,
  preference: "subjectiveGraded",
  data: z.strictObject({
    name: displayName,
    testTitle: title,
    questionExcerpt: z.string().max(200),
    marks: z.number(),
    maxMarks: z.number(),
    resultUrl: httpUrl,
  }),
  sample: {
    name: "Ada Lovelace",
    testTitle: "GATE CS Mock Test 3",
    questionExcerpt: "Explain why a B+ tree keeps all records in its leaves, and what this means for range queries.",
    marks: 4,
    maxMarks: 5,
    resultUrl: "https://app.proctor.example/attempts/att_01JDX3W8Q6N0Z5V1Y2K7T4R9HC",
  },
  render: (data, ctx) =>
    renderLayout(
      {
        subject: subjectLine`Your answer in ${data.testTitle} was graded: ${score(data.marks, data.maxMarks)}`,
        preheader: `You got ${score(data.marks, data.maxMarks)} for a written answer.`,
        heading: "Your answer was graded",
        blocks: [
          greeting(data.name),
          paragraph("A grader has marked your answer to this question in ", strong(data.testTitle), ":"),
          quote(data.questionExcerpt),
          paragraph("You got ", strong(`${formatNumber(data.marks)} out of ${formatNumber(data.maxMarks)}`), " marks."),
          button("View your result", data.resultUrl),
        ],
        reason: `You received this email because you asked ${ctx.appName} to tell you when your written answers are graded.`,
      },
      ctx,
    ),
});
