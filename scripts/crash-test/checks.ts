import { readdirSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Webhook } from "standardwebhooks";
import { recompute } from "./recompute";
import type { ResendCall, WebhookCall } from "./receivers";
import type { StormTally } from "./storm";

/**
 * The crash test's verdicts, read from the local D1 file once the runtime has stopped, and from what
 * the outside world (the webhook endpoint, the Resend stand-in) received.
 */
export interface Check {
  check: string;
  pass: boolean;
  detail: string;
}

export interface Evidence {
  tally: StormTally;
  webhookCalls: readonly WebhookCall[];
  webhookSecret: string;
  webhookEventTypes: readonly string[];
  resendCalls: readonly ResendCall[];
}

/** The local D1 database file `wrangler dev --persist-to <dir>` keeps. */
export function openLocalD1(persistDir: string): DatabaseSync {
  const dir = join(persistDir, "v3", "d1", "miniflare-D1DatabaseObject");
  const file = readdirSync(dir).find((name) => name.endsWith(".sqlite"));
  if (!file) throw new Error(`no local D1 database under ${dir}`);
  return new DatabaseSync(join(dir, file));
}

/** Jobs by type and status, e.g. `attempt.score ACTIVE: 3`: what was in flight when the runtime died. */
export function jobCensus(db: DatabaseSync): Map<string, number> {
  const rows = db.prepare("SELECT type, status, count(*) AS n FROM jobs GROUP BY type, status ORDER BY type, status").all() as {
    type: string;
    status: string;
    n: number;
  }[];
  return new Map(rows.map((row) => [`${row.type} ${row.status}`, row.n]));
}

const close = (a: number | null, b: number | null) =>
  a === b || (a !== null && b !== null && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)));
const sample = (items: string[]) => (items.length === 0 ? "" : ` e.g. ${items.slice(0, 3).join("; ")}`);

function check(name: string, problems: string[], ok: string): Check {
  return { check: name, pass: problems.length === 0, detail: problems.length === 0 ? ok : `${problems.length} wrong:${sample(problems)}` };
}

function scoring(db: DatabaseSync, evidence: Evidence): Check[] {
  const ids = evidence.tally.attemptIds;
  const expected = recompute(db, ids);
  const attempt = db.prepare("SELECT status, score, max_score, result FROM attempts WHERE id = ?");
  const answers = db.prepare("SELECT question_id, marks_awarded, is_correct FROM answers WHERE attempt_id = ?");
  const notScored: string[] = [];
  const wrongScore: string[] = [];
  for (const id of ids) {
    const row = attempt.get(id) as { status: string; score: number; max_score: number; result: string } | undefined;
    if (row?.status !== "SCORED") {
      notScored.push(`${id} ${row?.status ?? "missing"}`);
      continue;
    }
    const output = expected.attempts.get(id)!;
    if (JSON.stringify(JSON.parse(row.result)) !== JSON.stringify(output.result))
      wrongScore.push(`${id}: ${row.score}, recomputed ${output.result.score}`);
    const marks = new Map(
      (answers.all(id) as { question_id: string; marks_awarded: number | null; is_correct: number | null }[]).map((a) => [
        a.question_id,
        a,
      ]),
    );
    for (const q of output.questions) {
      const stored = marks.get(q.questionId);
      if (!stored) continue;
      const isCorrect = stored.is_correct === null ? null : stored.is_correct === 1;
      if (!close(stored.marks_awarded, q.marksAwarded) || isCorrect !== q.isCorrect) wrongScore.push(`${id}/${q.questionId} marks`);
    }
  }

  const perAttempt = (sql: string) =>
    new Map((db.prepare(sql).all() as { id: string; n: number }[]).map((row) => [row.id, row.n] as [string, number]));
  const scoredEvents = perAttempt(
    "SELECT aggregate_id AS id, count(*) AS n FROM events WHERE type = 'attempt.scored' GROUP BY aggregate_id",
  );
  const scoreJobs = perAttempt(
    "SELECT json_extract(payload, '$.attemptId') AS id, count(*) AS n FROM jobs WHERE type = 'attempt.score' GROUP BY 1",
  );
  const onceProblems = ids.flatMap((id) => {
    const events = scoredEvents.get(id) ?? 0;
    const jobs = scoreJobs.get(id) ?? 0;
    return events === 1 && jobs === 1 ? [] : [`${id}: ${events} attempt.scored events, ${jobs} scoring jobs`];
  });

  const questionRows = db.prepare("SELECT question_id, attempted, correct, total_time_seconds FROM question_stats").all() as {
    question_id: string;
    attempted: number;
    correct: number;
    total_time_seconds: number;
  }[];
  const storedQuestions = new Map(questionRows.map((row) => [row.question_id, row]));
  const questionProblems = [...new Set([...storedQuestions.keys(), ...expected.questions.keys()])].flatMap((id) => {
    const stored = storedQuestions.get(id);
    const want = expected.questions.get(id) ?? { attempted: 0, correct: 0, totalTimeSeconds: 0 };
    const have = { attempted: stored?.attempted ?? 0, correct: stored?.correct ?? 0, totalTimeSeconds: stored?.total_time_seconds ?? 0 };
    return JSON.stringify(have) === JSON.stringify(want) ? [] : [`${id}: ${JSON.stringify(have)} ≠ ${JSON.stringify(want)}`];
  });

  const testRows = db
    .prepare("SELECT test_id, attempt_count, score_sum, score_sum_squares, min_score, max_score, distribution FROM test_stats")
    .all() as {
    test_id: string;
    attempt_count: number;
    score_sum: number;
    score_sum_squares: number;
    min_score: number | null;
    max_score: number | null;
    distribution: string | null;
  }[];
  const storedTests = new Map(testRows.map((row) => [row.test_id, row]));
  const testProblems = [...new Set([...storedTests.keys(), ...expected.tests.keys()])].flatMap((id) => {
    const have = storedTests.get(id);
    const want = expected.tests.get(id);
    if (!have || !want) return [`${id}: ${have ? "counted" : "missing"} in test_stats, ${want ? "scored" : "never scored"}`];
    const counts = (JSON.parse(have.distribution ?? "{}") as { counts?: number[] }).counts ?? [];
    const exact =
      have.attempt_count === want.attemptCount &&
      close(have.score_sum, want.scoreSum) &&
      close(have.score_sum_squares, want.scoreSumSquares) &&
      close(have.min_score, want.minScore) &&
      close(have.max_score, want.maxScore) &&
      JSON.stringify(counts) === JSON.stringify(want.distribution);
    return exact ? [] : [`${id}: count ${have.attempt_count}/${want.attemptCount}, sum ${have.score_sum}/${want.scoreSum}`];
  });

  return [
    check("every attempt submitted and SCORED", notScored, `${ids.length} of ${ids.length}`),
    check("each scored exactly once (one scoring job, one attempt.scored event)", onceProblems, `${ids.length} × 1`),
    check("scores and marks equal a recomputation from the answers", wrongScore, `${expected.attempts.size} attempts re-scored`),
    check("question_stats exact", questionProblems, `${expected.questions.size} questions`),
    check("test_stats exact (counts, sums, min/max, histogram)", testProblems, `${expected.tests.size} tests`),
  ];
}

function lifecycle(db: DatabaseSync, evidence: Evidence): Check[] {
  const unfinished = db.prepare("SELECT id, type, status, attempts, error FROM jobs WHERE status <> 'COMPLETED'").all() as {
    id: string;
    type: string;
    status: string;
    attempts: number;
    error: string | null;
  }[];
  const openEvents = db.prepare("SELECT id, type, status FROM events WHERE status <> 'PROCESSED'").all() as {
    id: string;
    type: string;
    status: string;
  }[];
  // Changes that happen once per resource (a sign-in or a re-score may repeat; nothing here does either).
  const duplicateEvents = db
    .prepare(
      `SELECT type, aggregate_id, count(*) AS n FROM events
       WHERE type IN ('user.registered', 'attempt.started', 'attempt.submitted', 'attempt.scored')
       GROUP BY type, aggregate_id HAVING n > 1`,
    )
    .all() as { type: string; aggregate_id: string; n: number }[];
  // One request writes its audit row once; each attempt is started and submitted once.
  const duplicateAudit = db
    .prepare(
      `SELECT action, coalesce(request_id, id) AS request, count(*) AS n FROM audit_logs GROUP BY action, request HAVING n > 1
       UNION ALL SELECT action, target_id, count(*) FROM audit_logs WHERE action IN ('attempt.started', 'attempt.submitted')
       GROUP BY action, target_id HAVING count(*) > 1`,
    )
    .all() as { action: string; request: string; n: number }[];
  const answered = (db.prepare("SELECT count(*) AS n FROM audit_logs WHERE action = 'attempt.answered'").get() as { n: number }).n;
  // A saved answer has its row; an answer cut off by the crash and sent again may have two (two requests).
  const { answersSaved, cutOff } = evidence.tally;
  const answeredProblems =
    answered >= answersSaved && answered <= answersSaved + cutOff.answer
      ? []
      : [`${answered} attempt.answered rows for ${answersSaved} saved answers (+${cutOff.answer} cut off)`];
  return [
    check(
      "no job left PENDING, DELAYED, ACTIVE or FAILED",
      unfinished.map((job) => `${job.type} ${job.status} (attempts ${job.attempts}${job.error ? `, ${job.error.slice(0, 80)}` : ""})`),
      `${(db.prepare("SELECT count(*) AS n FROM jobs").get() as { n: number }).n} jobs, all COMPLETED`,
    ),
    check(
      "every event PROCESSED",
      openEvents.map((event) => `${event.type} ${event.status}`),
      `${(db.prepare("SELECT count(*) AS n FROM events").get() as { n: number }).n} events`,
    ),
    check(
      "no duplicate event",
      duplicateEvents.map((row) => `${row.type} ${row.aggregate_id} × ${row.n}`),
      "one per change",
    ),
    check(
      "no duplicate audit row",
      duplicateAudit.map((row) => `${row.action} ${row.request} × ${row.n}`),
      "one per request",
    ),
    check("an audit row per saved answer", answeredProblems, `${answered} for ${answersSaved} saved (+${cutOff.answer} cut off)`),
  ];
}

function webhooks(db: DatabaseSync, evidence: Evidence): Check[] {
  const types = evidence.webhookEventTypes;
  const events = db.prepare(`SELECT id, type FROM events WHERE type IN (${types.map(() => "?").join(", ")})`).all(...types) as {
    id: string;
    type: string;
  }[];
  const received = new Map<string, WebhookCall[]>();
  for (const call of evidence.webhookCalls) received.set(call.webhookId, [...(received.get(call.webhookId) ?? []), call]);
  const lost = events.filter((event) => !received.has(event.id)).map((event) => `${event.type} ${event.id}`);
  const known = new Set(events.map((event) => event.id));
  const verifier = new Webhook(evidence.webhookSecret);
  const wrong: string[] = [];
  let duplicates = 0;
  for (const [id, calls] of received) {
    if (!known.has(id)) wrong.push(`${id}: not an event of a subscribed type`);
    if (calls.some((call) => call.body !== calls[0]!.body)) wrong.push(`${id}: copies differ`);
    duplicates += calls.length - 1;
  }
  for (const call of evidence.webhookCalls) {
    try {
      verifier.verify(call.body, call.headers as Record<string, string>);
    } catch (error) {
      wrong.push(`${call.webhookId}: ${String(error)}`);
    }
  }
  return [
    check("webhooks: every event delivered", lost, `${events.length} events, ${evidence.webhookCalls.length} deliveries received`),
    check(
      "webhooks: copies only as at-least-once allows (same webhook-id, same body, signed)",
      wrong,
      `${duplicates} repeated deliveries, each a copy`,
    ),
  ];
}

function emails(db: DatabaseSync, evidence: Evidence): Check[] {
  const messages = db.prepare("SELECT id, template, status, provider_message_id, dedupe_key FROM email_messages").all() as {
    id: string;
    template: string;
    status: string;
    provider_message_id: string | null;
    dedupe_key: string | null;
  }[];
  const byKey = new Map<string, ResendCall[]>();
  for (const call of evidence.resendCalls) byKey.set(call.idempotencyKey, [...(byKey.get(call.idempotencyKey) ?? []), call]);
  const lost = messages
    .filter(
      (message) =>
        message.status !== "sent" || !byKey.has(message.id) || byKey.get(message.id)![0]!.providerId !== message.provider_message_id,
    )
    .map((message) => `${message.template} ${message.id} ${message.status}`);
  const ids = new Set(messages.map((message) => message.id));
  const strays = [...byKey.keys()].filter((key) => !ids.has(key)).map((key) => `a call keyed ${key} matches no message`);
  const repeats = [...byKey.values()].reduce((sum, calls) => sum + calls.length - 1, 0);
  const resultMails = messages.filter((message) => message.template === "result_ready").length;
  const scored = evidence.tally.attemptIds.length;
  return [
    check("emails: every message sent and accepted once under its key", lost, `${messages.length} messages`),
    check("emails: repeats only under the same Idempotency-Key", strays, `${evidence.resendCalls.length} calls, ${repeats} repeated a key`),
    check(
      "emails: one result mail per scored attempt",
      resultMails === scored ? [] : [`${resultMails} result_ready messages for ${scored} attempts`],
      `${resultMails}`,
    ),
  ];
}

export function runChecks(persistDir: string, evidence: Evidence): Check[] {
  const db = openLocalD1(persistDir);
  try {
    return [...scoring(db, evidence), ...lifecycle(db, evidence), ...webhooks(db, evidence), ...emails(db, evidence)];
  } finally {
    db.close();
  }
}
