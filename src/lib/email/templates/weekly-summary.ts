import { z } from "zod";
import { button, greeting, heading, paragraph, progress, strong, table } from "./blocks";
import { displayName, isoDay, title, wholeCount } from "./fields";
import { formatDay, formatNumber, formatStudyTime, plural, subjectLine } from "./format";
import { renderLayout } from "./layout";
import { defineTemplate } from "./template";

const goal = z.strictObject({ title, targetHours: z.number().nonnegative(), loggedHours: z.number().nonnegative(), targetDate: isoDay });
type Goal = z.infer<typeof goal>;

const percentDone = (goal: Goal) => (goal.targetHours > 0 ? Math.round((goal.loggedHours / goal.targetHours) * 100) : 100);

export const weeklySummary = defineTemplate({
  name: "weekly_summary",
  description: "Monday's look back at the week: study time, progress toward goals, tests taken.",
  category: "notification",
  sensitive: false,
  preference: "weeklySummary",
  data: z.strictObject({
    name: displayName,
    weekStart: isoDay,
    weekEnd: isoDay,
    studyMinutes: wholeCount,
    sessions: wholeCount,
    goals: z.array(goal).max(20),
    attempts: z.array(z.strictObject({ testTitle: title, score: z.number(), maxScore: z.number() })).max(20),
  }),
  sample: {
    name: "Ada Lovelace",
    weekStart: "2026-11-23",
    weekEnd: "2026-11-29",
    studyMinutes: 320,
    sessions: 6,
    goals: [
      { title: "Finish the algorithms syllabus", targetHours: 40, loggedHours: 12.5, targetDate: "2027-01-15T00:00:00.000Z" },
      { title: "Revise discrete mathematics", targetHours: 10, loggedHours: 10, targetDate: "2026-12-10T00:00:00.000Z" },
    ],
    attempts: [
      { testTitle: "GATE CS Mock Test 3", score: 72.5, maxScore: 100 },
      { testTitle: "Operating Systems Sectional", score: 18, maxScore: 25 },
    ],
  },
  render: (data, ctx) => {
    const studied = data.studyMinutes > 0;
    return renderLayout(
      {
        subject: studied
          ? subjectLine`Your ${ctx.appName} week: ${formatStudyTime(data.studyMinutes)} of study`
          : subjectLine`Your ${ctx.appName} week: no study time logged`,
        preheader: `${studied ? `${formatStudyTime(data.studyMinutes)} of study` : "No study time logged"}, ${plural(data.attempts.length, "test")} taken.`,
        heading: "Your week in review",
        blocks: [
          greeting(data.name),
          paragraph(`Here is your week on ${ctx.appName}, ${formatDay(data.weekStart)} – ${formatDay(data.weekEnd)}.`),
          studied
            ? paragraph("You studied for ", strong(formatStudyTime(data.studyMinutes)), ` in ${plural(data.sessions, "session")}.`)
            : paragraph("You didn't log any study time this week. A short session today is a good way back in."),
          heading("Goals"),
          data.goals.length > 0
            ? progress(
                data.goals.map((goal) => ({
                  label: goal.title,
                  percent: percentDone(goal),
                  detail: `${formatNumber(goal.loggedHours)} of ${formatNumber(goal.targetHours)} h (${percentDone(goal)}%), target date ${formatDay(goal.targetDate)}`,
                })),
              )
            : paragraph("You have no goals ahead. Setting one makes it easier to plan your study."),
          heading("Tests taken"),
          data.attempts.length > 0
            ? table(
                ["Test", "Score"],
                data.attempts.map((attempt) => [attempt.testTitle, `${formatNumber(attempt.score)}/${formatNumber(attempt.maxScore)}`]),
              )
            : paragraph("You didn't take any tests this week."),
          button("Plan your week", ctx.appUrl),
        ],
        reason: `You received this email because you turned on the weekly summary in your ${ctx.appName} notification settings.`,
      },
      ctx,
    );
  },
});
