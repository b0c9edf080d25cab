import { must } from "./client";
import { answerQuestions, firstPublishedTest, startAttempt } from "./attempts";
import { inParallel, runArrivals } from "./open-model";
import type { LoadOptions } from "./options";
import { Recorder } from "./recorder";
import type { Scenario } from "./scenario";
import { thinned, watchAsOperator, watchAsStudents, type Submission } from "./scoring-watch";
import { prepareStudents } from "./students";
import { ALL_SCORED_MEASURE, SCORED_MEASURE } from "./thresholds";

const SETUP_CONCURRENCY = 8;
const MIN_SCORED_TIMEOUT_MS = 120_000;

/** One submit per student: `rate × duration`. */
const submitCount = (options: LoadOptions) => Math.max(1, Math.round(options.rate * options.durationSeconds));

/**
 * The deadline storm: `rate × duration` students each start an attempt and save a few answers
 * (setup), then all submit within the window at a constant rate, and the run waits until every
 * attempt is scored: read from the jobs' rows when the run holds an admin credential, else by each
 * student polling their scoring job. Reports submit latency, each attempt's submit → scored and the
 * time from the first submit until the last attempt was scored.
 */
export const storm: Scenario = {
  name: "storm",
  arrival: "submits",
  students: submitCount,
  async run(ctx) {
    const { options, setup, target } = ctx;
    const count = submitCount(options);
    ctx.log(`Preparing ${count} students with a running attempt and ${options.answers} answers each…`);
    const tokens = await prepareStudents(setup, options, target.students, ctx.runId, count);
    if (tokens.length < count) throw new Error(`the storm needs ${count} students; --students-file holds ${tokens.length}`);
    const testId = options.testId ?? target.defaultTestId ?? (await firstPublishedTest(setup, tokens[0]!));
    const submissions: Submission[] = await inParallel(tokens.slice(0, count), SETUP_CONCURRENCY, async (token) => {
      const attempt = await startAttempt(setup, token, testId);
      await answerQuestions(setup, token, attempt, options.answers, 0);
      return { token, attemptId: attempt.id };
    });

    ctx.log("Setup done: measuring.");
    const recorder = new Recorder();
    const client = setup.recordingInto(recorder);
    const firstSubmit = performance.now();
    const firstSubmitEpoch = Date.now();
    const arrivals = await runArrivals(
      { ratePerSecond: options.rate, durationSeconds: options.durationSeconds, maxInFlight: options.maxInFlight },
      async (i) => {
        const s = submissions[i]!;
        const submitted = must(await client.call("submit", "POST", `/v1/attempts/${s.attemptId}/submit`, { token: s.token }));
        s.jobId = submitted.body.scoringJobId;
        s.acceptedAt = submitted.receivedAt;
      },
    );
    const lastSubmit = performance.now();
    // Watching as an operator is not load: throughput counts the submit window only.
    if (target.adminToken) recorder.stopClock();

    const deadline = lastSubmit + Math.max(MIN_SCORED_TIMEOUT_MS, options.durationSeconds * 10_000);
    const accepted = submissions.filter((s) => s.jobId);
    const { backlog, problems } = target.adminToken
      ? await watchAsOperator(setup, target.adminToken, accepted, { since: firstSubmitEpoch, deadline, pollMs: options.pollMs })
      : await watchAsStudents(client, accepted, { deadline, pollMs: options.pollMs });
    const pending = accepted.filter((s) => s.scoredAt === undefined && !s.failed);
    if (pending.length > 0)
      problems.push(`${pending.length} attempts not scored ${Math.round((deadline - lastSubmit) / 1000)} s after the last submit`);

    const scored = submissions.filter((s) => s.scoredAt !== undefined);
    for (const s of scored) recorder.measure(SCORED_MEASURE, s.scoredAt! - s.acceptedAt!);
    const allScoredAt = Math.max(...scored.map((s) => s.scoredAt!));
    const firstAccepted = Math.min(...scored.map((s) => s.acceptedAt!));
    if (scored.length === submissions.length) recorder.measure(ALL_SCORED_MEASURE, allScoredAt - firstAccepted);
    return {
      recorder,
      arrivals,
      problems,
      tables: [
        {
          title: "Deadline storm",
          rows: [
            {
              attempts: count,
              submitted: submissions.filter((s) => s.jobId).length,
              scored: scored.length,
              "last submit answered at s": Math.round((lastSubmit - firstSubmit) / 100) / 10,
              "first submit → all scored s": scored.length === count ? Math.round((allScoredAt - firstAccepted) / 100) / 10 : "-",
              clock: target.adminToken ? "server (job rows)" : "client (polls)",
            },
          ],
        },
        ...(backlog.length ? [{ title: "Scoring queue after the window (GET /v1/admin/queues)", rows: thinned(backlog, 20) }] : []),
      ],
    };
  },
};
