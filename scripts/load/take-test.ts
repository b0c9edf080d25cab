import { must, UnexpectedAnswer } from "./client";
import { answerQuestions, firstPublishedTest, startAttempt, submitAttempt, waitForScore } from "./attempts";
import { runArrivals } from "./open-model";
import type { LoadOptions } from "./options";
import { Recorder } from "./recorder";
import type { Scenario } from "./scenario";
import { prepareStudents, signUpStudent } from "./students";
import { SCORED_MEASURE } from "./thresholds";

/** Prepared students, at most: a student runs one journey at a time (one running attempt per test). */
const MAX_POOL = 100;
const SCORE_TIMEOUT_MS = 120_000;

/** One student per journey, up to MAX_POOL; a journey that finds none idle is counted, not queued. */
const poolSize = (options: LoadOptions) =>
  options.users ?? Math.min(Math.max(1, Math.round(options.rate * options.durationSeconds)), MAX_POOL);

/**
 * Students taking a test end to end: (sign up and in with --signup), read the test, start an attempt,
 * answer every question (--think-ms apart), submit, and poll the scoring job until the result shows.
 * One arrival is one student starting; each journey's requests run one after another.
 */
export const takeTest: Scenario = {
  name: "take-test",
  arrival: "students starting a test",
  students: (options) => (options.signup ? 0 : poolSize(options)),
  async run(ctx) {
    const { options, setup, target } = ctx;
    const planned = Math.max(1, Math.round(options.rate * options.durationSeconds));
    const idle = options.signup ? [] : await prepareStudents(setup, options, target.students, ctx.runId, poolSize(options));
    const testId = options.testId ?? target.defaultTestId ?? (await firstPublishedTest(setup, idle[0] ?? target.adminToken ?? ""));
    let busy = 0;
    let completed = 0;
    /** Journeys that ended without a score for a reason no answer shows (a scoring job that failed or never finished). */
    const problems: string[] = [];
    ctx.log("Setup done: measuring.");
    const recorder = new Recorder();
    const client = ctx.setup.recordingInto(recorder);
    const arrivals = await runArrivals(
      { ratePerSecond: options.rate, durationSeconds: options.durationSeconds, maxInFlight: options.maxInFlight },
      async (i) => {
        const student = options.signup ? await signUpStudent(client, ctx.runId, i) : idle.pop();
        if (student === undefined) {
          busy++; // every prepared student is mid-test: counted, not queued (that would close the loop)
          return;
        }
        try {
          must(await client.call("test detail", "GET", `/v1/tests/${testId}`, { token: student }));
          const attempt = await startAttempt(client, student, testId);
          await answerQuestions(client, student, attempt, attempt.questions.length, options.thinkMs);
          const { jobId, acceptedAt } = await submitAttempt(client, student, attempt.id);
          const scoredAt = await waitForScore(client, student, attempt.id, jobId, { pollMs: options.pollMs, timeoutMs: SCORE_TIMEOUT_MS });
          recorder.measure(SCORED_MEASURE, scoredAt - acceptedAt);
          completed++;
        } catch (error) {
          if (!(error instanceof UnexpectedAnswer)) problems.push(String((error as Error).message));
        } finally {
          if (!options.signup) idle.push(student);
        }
      },
    );
    return {
      recorder,
      arrivals,
      problems,
      tables: [
        {
          title: "Journeys",
          rows: [
            { test: testId, planned, completed, "no idle student": busy, students: options.signup ? "signed up per journey" : idle.length },
          ],
        },
      ],
    };
  },
};
