import { SEED_PASSWORD, SEED_TESTS } from "../seed";

/**
 * The crash test's clients: students who register, then start, answer and submit attempts one after
 * another through the HTTP API, all at once. They behave like real clients across a crash: a request
 * cut off or refused is sent again until the server is back (a start that did land answers 409 with
 * the running attempt; a submit that did land answers 409 as well), so the storm runs on through the
 * kill and the restart by itself.
 */
export interface StormOptions {
  students: number;
  attemptsPerStudent: number;
  seed: number;
  /** How long a client keeps re-sending through an outage before the storm fails. */
  outageToleranceMs: number;
}

export interface StormTally {
  registered: number;
  attemptsStarted: number;
  answersSaved: number;
  submitsAccepted: number;
  /** Requests cut off mid-flight by the crash and sent again: their first copy may or may not have landed. */
  cutOff: { start: number; answer: number; submit: number; other: number };
  /** Requests refused while the server was down (never delivered), sent again. */
  refused: number;
  attemptIds: string[];
}

interface Question {
  id: string;
  type: "MCQ" | "MSQ" | "INTEGER" | "RANGE" | "SUBJECTIVE";
  options: string[] | null;
}

type Kind = keyof StormTally["cutOff"];

/** mulberry32: a small seeded generator, so a run's answers can be replayed with its seed. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Some right, some wrong, some skipped (null): the scoring job decides which. */
function answerFor(question: Question, next: () => number): unknown {
  if (next() < 0.15) return null;
  const options = question.options?.length ?? 0;
  switch (question.type) {
    case "MCQ":
      return Math.floor(next() * options);
    case "MSQ": {
      const picked = [...new Set([Math.floor(next() * options), Math.floor(next() * options)])];
      return picked.sort((a, b) => a - b);
    }
    case "INTEGER":
      return Math.floor(next() * 40);
    case "RANGE":
      return Math.round(next() * 4000) / 100;
    case "SUBJECTIVE":
      return "<p>An answer written during the crash test.</p>";
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function startStorm(baseUrl: () => string, options: StormOptions) {
  const tally: StormTally = {
    registered: 0,
    attemptsStarted: 0,
    answersSaved: 0,
    submitsAccepted: 0,
    cutOff: { start: 0, answer: 0, submit: 0, other: 0 },
    refused: 0,
    attemptIds: [],
  };
  const run = `${Date.now().toString(36)}`;

  /** One request, sent again while the server is unreachable; any answer (even 4xx) is returned. */
  async function send(kind: Kind, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const giveUpAt = Date.now() + options.outageToleranceMs;
    for (;;) {
      try {
        const res = await fetch(`${baseUrl()}${path}`, {
          method,
          headers: { "Content-Type": "application/json", ...headers },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const text = await res.text();
        return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
      } catch (error) {
        if (Date.now() > giveUpAt)
          throw new Error(`${method} ${path}: server unreachable for ${options.outageToleranceMs} ms (${String(error)})`);
        if ((error as { cause?: { code?: string } }).cause?.code === "ECONNREFUSED") tally.refused++;
        else tally.cutOff[kind]++;
        await pause(500);
      }
    }
  }

  function expect(res: { status: number; body: Record<string, unknown> }, ok: number[], what: string) {
    if (!ok.includes(res.status)) throw new Error(`${what}: ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`);
  }

  async function student(index: number): Promise<void> {
    const next = random(options.seed * 7919 + index);
    const email = `crash-${run}-${index}@students.test`;
    const registered = await send("other", "POST", "/v1/auth/register", { email, password: SEED_PASSWORD, name: `Student ${index}` });
    expect(registered, [201, 409], `registering ${email}`); // 409: a first copy cut off by the crash did land
    tally.registered++;
    const login = await send("other", "POST", "/v1/auth/login", { email, password: SEED_PASSWORD });
    expect(login, [200], `signing in ${email}`);
    const auth = { Authorization: `Bearer ${login.body.token as string}` };

    for (let n = 0; n < options.attemptsPerStudent; n++) {
      const test = SEED_TESTS[(index + n) % SEED_TESTS.length]!;
      const started = await send("start", "POST", `/v1/tests/${test.id}/attempts`, undefined, auth);
      expect(started, [201, 409], `starting ${test.id}`);
      let attemptId = (started.status === 201 ? started.body.id : (started.body.attemptId as string | null)) as string;
      if (!attemptId) throw new Error(`starting ${test.id}: 409 without the running attempt`);
      const attempt =
        started.status === 201 ? started.body : (await send("other", "GET", `/v1/attempts/${attemptId}`, undefined, auth)).body;
      attemptId = attempt.id as string;
      tally.attemptsStarted++;
      tally.attemptIds.push(attemptId);
      const questions = (attempt.sections as { questions: Question[] }[]).flatMap((section) => section.questions);
      for (const question of questions) {
        const answer = answerFor(question, next);
        if (answer === null) continue;
        const timeSpentSeconds = 5 + Math.floor(next() * 115);
        const saved = await send("answer", "PUT", `/v1/attempts/${attemptId}/answers/${question.id}`, { answer, timeSpentSeconds }, auth);
        expect(saved, [200], `answering ${question.id} in ${attemptId}`);
        tally.answersSaved++;
      }
      const submitted = await send("submit", "POST", `/v1/attempts/${attemptId}/submit`, undefined, auth);
      expect(submitted, [202, 409], `submitting ${attemptId}`);
      if (submitted.status === 409) {
        // Only a submit cut off by the crash that did land may answer 409: the attempt is no longer in progress.
        const current = await send("other", "GET", `/v1/attempts/${attemptId}`, undefined, auth);
        if (current.body.status === "IN_PROGRESS") throw new Error(`submitting ${attemptId}: 409, yet still in progress`);
      }
      tally.submitsAccepted++;
    }
  }

  const done = Promise.all(Array.from({ length: options.students }, (_, index) => student(index))).then(() => tally);
  return { tally, done };
}
