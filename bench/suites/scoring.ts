import { spawn, type ChildProcess } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DatabaseSync } from "node:sqlite";
import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { QuestionType } from "../../src/db/schema";
import { newId } from "../../src/lib/ids";
import { scoreAttempt, type ScorableQuestion, type ScorableSection, type ScoringInput, type SubmittedAnswer } from "../../src/lib/scoring";
import { runLoad } from "../lib/load";
import { startLocalServer } from "../lib/server";
import { snapshotProject } from "../lib/snapshot";
import { printTable, type Row } from "../lib/table";

export const name = "scoring";

const PORT = 8792;
const REDIS_PORT = 6392;
const ATTEMPTS = Number(process.env.SCORING_BENCH_ATTEMPTS ?? 5000);
const QUESTIONS = 90;
const SECTIONS = 3;
const SUBMIT_CONCURRENCY = 16;
const TYPES: QuestionType[] = ["MCQ", "MSQ", "INTEGER", "RANGE", "MCQ", "MCQ", "INTEGER", "MSQ", "RANGE", "SUBJECTIVE"];

/** A JEE-like paper: 3 sections × 30 questions of mixed types, negative marking on. */
function buildPaper(): ScorableSection[] {
  const sections: ScorableSection[] = [];
  for (let s = 0; s < SECTIONS; s++) {
    const questions: ScorableQuestion[] = [];
    for (let i = 0; i < QUESTIONS / SECTIONS; i++) {
      const type = TYPES[(s * 30 + i) % TYPES.length]!;
      const id = newId("question");
      const base = { id, type, marks: 4, negativeMarks: 1 };
      if (type === "MCQ") questions.push({ ...base, options: ["a", "b", "c", "d"], answerKey: { correctOption: i % 4 } });
      else if (type === "MSQ")
        questions.push({ ...base, options: ["a", "b", "c", "d"], answerKey: { correctOptions: [0, (i % 3) + 1] }, negativeMarks: 2 });
      else if (type === "INTEGER") questions.push({ ...base, answerKey: { answer: i * 3 } });
      else if (type === "RANGE") questions.push({ ...base, answerKey: { min: i - 0.5, max: i + 0.5 } });
      else questions.push({ ...base, answerKey: { rubric: "any" }, negativeMarks: 0 });
    }
    sections.push({ title: ["Physics", "Chemistry", "Mathematics"][s]!, questions });
  }
  return sections;
}

/** A plausible answer sheet: mostly right, some wrong, some skipped. */
function answerSheet(paper: ScorableSection[], seed: number): Map<string, SubmittedAnswer> {
  const answers = new Map<string, SubmittedAnswer>();
  let n = seed;
  const next = () => {
    n = (n * 1103515245 + 12345) % 2147483648;
    return n / 2147483648;
  };
  for (const section of paper) {
    for (const q of section.questions) {
      const roll = next();
      if (roll < 0.15) continue;
      const right = roll < 0.7;
      const key = q.answerKey as Record<string, unknown>;
      let answer: unknown;
      if (q.type === "MCQ") answer = right ? key.correctOption : ((key.correctOption as number) + 1) % 4;
      else if (q.type === "MSQ") answer = right ? key.correctOptions : [0];
      else if (q.type === "INTEGER") answer = right ? key.answer : -1;
      else if (q.type === "RANGE") answer = right ? key.min : (key.max as number) + 1;
      else answer = "An essay.";
      answers.set(q.id, { answer, timeSpentSeconds: Math.floor(next() * 120) });
    }
  }
  return answers;
}

function measureCpu(paper: ScorableSection[]): Row {
  const inputs: ScoringInput[] = Array.from({ length: 100 }, (_, i) => ({
    msqScoring: i % 2 === 0 ? "partial" : "all_or_nothing",
    sections: paper,
    answers: answerSheet(paper, i + 1),
    timeTakenSeconds: 3600,
  }));
  for (let i = 0; i < 5000; i++) scoreAttempt(inputs[i % 100]!);
  const runs = 50_000;
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  let sink = 0;
  for (let i = 0; i < runs; i++) sink += scoreAttempt(inputs[i % 100]!).result.score;
  const wallMs = performance.now() - wall0;
  const cpu = process.cpuUsage(cpu0);
  if (Number.isNaN(sink)) throw new Error("unreachable");
  return {
    case: `scoreAttempt, ${QUESTIONS} questions (pure, Node ${process.versions.node})`,
    runs,
    cpuUsPerAttempt: (cpu.user + cpu.system) / runs,
    wallUsPerAttempt: (wallMs * 1000) / runs,
    attemptsPerSecond: Math.round(runs / (wallMs / 1000)),
  };
}

function sqliteFileIn(persistDir: string): string {
  const dir = join(persistDir, "v3", "d1", "miniflare-D1DatabaseObject");
  const file = readdirSync(dir).find((f) => f.endsWith(".sqlite"));
  if (!file) throw new Error(`no local D1 database under ${dir}`);
  return join(dir, file);
}

interface Seeded {
  token: string;
  testId: string;
  attemptIds: string[];
}

/** Writes an admin with a session, the paper as a published test and ATTEMPTS in-progress attempts with answers. */
function seedLocalD1(persistDir: string, paper: ScorableSection[]): Seeded {
  const db = new DatabaseSync(sqliteFileIn(persistDir));
  const now = Date.now();
  const userId = newId("user");
  const token = `st_${randomBytes(32).toString("base64url")}`;
  const testId = newId("test");
  const attemptIds: string[] = [];
  db.exec("BEGIN");
  db.prepare(
    "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at) VALUES (?, ?, 'Bench', 'admin', 'x', ?, ?)",
  ).run(userId, `bench-${now}@example.test`, now, now);
  db.prepare("INSERT INTO sessions (id, user_id, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?)").run(
    newId("session"),
    userId,
    createHash("sha256").update(token).digest("hex"),
    now,
    now + 86_400_000,
  );
  db.prepare(
    "INSERT INTO tests (id, author_id, title, duration_minutes, msq_scoring, published, published_at, created_at, updated_at) VALUES (?, ?, 'Bench paper', 180, 'partial', 1, ?, ?, ?)",
  ).run(testId, userId, now, now, now);
  const insertQuestion = db.prepare(
    "INSERT INTO questions (id, author_id, type, body, options, answer_key, marks, negative_marks, difficulty, subject, created_at, updated_at) VALUES (?, ?, ?, 'Q', ?, ?, ?, ?, 'medium', 'Bench', ?, ?)",
  );
  const insertSection = db.prepare("INSERT INTO test_sections (id, test_id, position, title) VALUES (?, ?, ?, ?)");
  const insertLink = db.prepare("INSERT INTO test_section_questions (section_id, question_id, position) VALUES (?, ?, ?)");
  paper.forEach((section, s) => {
    const sectionId = newId("section");
    insertSection.run(sectionId, testId, s, section.title);
    section.questions.forEach((q, i) => {
      insertQuestion.run(
        q.id,
        userId,
        q.type,
        q.options ? JSON.stringify(q.options) : null,
        JSON.stringify(q.answerKey),
        q.marks,
        q.negativeMarks,
        now,
        now,
      );
      insertLink.run(sectionId, q.id, i);
    });
  });
  const insertAttempt = db.prepare(
    "INSERT INTO attempts (id, test_id, user_id, status, started_at, deadline_at, created_at, updated_at) VALUES (?, ?, ?, 'IN_PROGRESS', ?, ?, ?, ?)",
  );
  const insertAnswer = db.prepare(
    "INSERT INTO answers (attempt_id, question_id, answer, answered_at, time_spent_seconds) VALUES (?, ?, ?, ?, ?)",
  );
  for (let a = 0; a < ATTEMPTS; a++) {
    const attemptId = newId("attempt");
    attemptIds.push(attemptId);
    insertAttempt.run(attemptId, testId, userId, now, now + 3 * 3_600_000, now, now);
    for (const [questionId, answer] of answerSheet(paper, a + 1)) {
      insertAnswer.run(attemptId, questionId, JSON.stringify(answer.answer), now, answer.timeSpentSeconds ?? 0);
    }
  }
  db.exec("COMMIT");
  db.close();
  return { token, testId, attemptIds };
}

async function measureWorkers(paper: ScorableSection[]): Promise<Row[]> {
  let seeded: Seeded | undefined;
  const seedStarted = performance.now();
  const snapshot = snapshotProject();
  const server = await startLocalServer(
    PORT,
    { RATE_LIMIT_POLICIES: JSON.stringify({ api: { limit: 1_000_000, block: null } }), LOG_LEVEL: "error" },
    {
      beforeStart: (dir) => {
        seeded = seedLocalD1(dir, paper);
      },
      cwd: snapshot,
    },
  );
  const seedSeconds = (performance.now() - seedStarted) / 1000;
  try {
    const { token, testId, attemptIds } = seeded!;
    const headers = { Authorization: `Bearer ${token}` };
    const scoringQueue = async () => {
      const res = await fetch(`${server.url}/v1/admin/queues`, { headers });
      const { data } = (await res.json()) as { data: { name: string; completed: number; failed: number; avgDurationMs: number | null }[] };
      return data.find((q) => q.name === "scoring")!;
    };
    const started = performance.now();
    const submits = runLoad(
      attemptIds.length,
      SUBMIT_CONCURRENCY,
      (i) => fetch(`${server.url}/v1/attempts/${attemptIds[i]}/submit`, { method: "POST", headers }),
      (res) => res.status === 202,
    );
    let submitted: Awaited<typeof submits> | undefined;
    void submits.then((result) => (submitted = result));
    let queue = await scoringQueue();
    const deadline = Date.now() + 15 * 60_000;
    while (queue.completed + queue.failed < attemptIds.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      queue = await scoringQueue();
    }
    const seconds = (performance.now() - started) / 1000;
    await submits;
    const analytics = (await (await fetch(`${server.url}/v1/tests/${testId}/analytics`, { headers })).json()) as {
      attemptCount: number;
      meanScore: number;
    };
    return [
      {
        case: `Workers + Queues (wrangler dev): HTTP submit → D1 result, ${attemptIds.length} × ${QUESTIONS} q`,
        attempts: attemptIds.length,
        scored: queue.completed,
        failed: queue.failed + (submitted?.errors ?? 0),
        seconds,
        attemptsPerSecond: queue.completed / seconds,
        avgJobMs: queue.avgDurationMs ?? 0,
        submitP50Ms: submitted?.p50Ms ?? 0,
        submitP99Ms: submitted?.p99Ms ?? 0,
        note: `stats count ${analytics.attemptCount}, mean ${analytics.meanScore}; seed+boot ${seedSeconds.toFixed(0)} s`,
      },
    ];
  } finally {
    await server.stop();
    rmSync(snapshot, { recursive: true, force: true });
  }
}

async function startRedis(): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(REDIS_PORT), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"], {
    stdio: "ignore",
  });
  for (let i = 0; i < 50; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    const probe = new Redis({ port: REDIS_PORT, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on("error", () => undefined);
    try {
      await probe.connect();
      await probe.ping();
      probe.disconnect();
      return child;
    } catch {
      probe.disconnect();
    }
  }
  child.kill();
  throw new Error("redis-server did not start");
}

/** The peer: the same scoreAttempt driven by BullMQ on a local redis-server, answers and results in redis. */
async function measureBullmq(paper: ScorableSection[]): Promise<Row[]> {
  const redis = await startRedis();
  const connection = { host: "127.0.0.1", port: REDIS_PORT, maxRetriesPerRequest: null };
  const store = new Redis(connection);
  const queueName = `scoring-${Date.now()}`;
  const queue = new Queue(queueName, { connection });
  try {
    const pipeline = store.pipeline();
    const ids: string[] = [];
    for (let a = 0; a < ATTEMPTS; a++) {
      const id = newId("attempt");
      ids.push(id);
      pipeline.set(`answers:${id}`, JSON.stringify([...answerSheet(paper, a + 1)]));
    }
    await pipeline.exec();

    let done = 0;
    let failed = 0;
    const durations: number[] = [];
    const worker = new Worker(
      queueName,
      async (job) => {
        const t0 = performance.now();
        const raw = await store.get(`answers:${job.data.attemptId}`);
        const answers = new Map<string, SubmittedAnswer>(JSON.parse(raw!));
        const { result } = scoreAttempt({ msqScoring: "partial", sections: paper, answers, timeTakenSeconds: 3600 });
        await store.set(`result:${job.data.attemptId}`, JSON.stringify(result));
        durations.push(performance.now() - t0);
        return result.score;
      },
      { connection, concurrency: 25, autorun: true },
    );
    const finished = new Promise<void>((resolve) => {
      const check = () => done + failed >= ATTEMPTS && resolve();
      worker.on("completed", () => {
        done++;
        check();
      });
      worker.on("failed", () => {
        failed++;
        check();
      });
    });
    const started = performance.now();
    for (let i = 0; i < ids.length; i += 500) {
      await queue.addBulk(
        ids.slice(i, i + 500).map((attemptId) => ({
          name: "attempt.score",
          data: { attemptId },
          opts: { attempts: 3, backoff: { type: "exponential", delay: 10_000 }, removeOnComplete: true },
        })),
      );
    }
    await finished;
    const seconds = (performance.now() - started) / 1000;
    await worker.close();
    return [
      {
        case: `BullMQ + redis-server: add → result in redis, ${ATTEMPTS} × ${QUESTIONS} q`,
        attempts: ATTEMPTS,
        scored: done,
        failed,
        seconds,
        attemptsPerSecond: done / seconds,
        avgJobMs: durations.reduce((a, b) => a + b, 0) / Math.max(1, durations.length),
        submitP50Ms: 0,
        submitP99Ms: 0,
        note: "concurrency 25, one Node process, no HTTP",
      },
    ];
  } finally {
    await queue.obliterate({ force: true }).catch(() => undefined);
    await queue.close();
    store.disconnect();
    redis.kill("SIGTERM");
  }
}

export async function run(): Promise<void> {
  const paper = buildPaper();
  const cpu = measureCpu(paper);
  printTable("Scoring CPU per attempt (pure function)", [cpu]);
  const rows = [...(await measureWorkers(paper)), ...(await measureBullmq(paper))];
  printTable(
    `End-to-end scoring throughput (${ATTEMPTS} attempts × ${QUESTIONS} questions); scoreAttempt CPU ${Number(cpu.cpuUsPerAttempt).toFixed(1)} µs/attempt`,
    rows,
  );
}
