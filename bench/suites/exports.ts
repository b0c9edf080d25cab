import { rmSync } from "node:fs";
import { inspectHeap } from "../lib/heap";
import { apiClient, registerAndSignIn, type Json } from "../lib/api";
import { seedLocalD1 } from "../lib/seed";
import { startLocalServer } from "../lib/server";
import { snapshotProject } from "../lib/snapshot";
import { printTable } from "../lib/table";

export const name = "exports";

const PORT = 8806;
const INSPECTOR_PORT = 9306;
const RESULT_ATTEMPTS = Number(process.env.BENCH_EXPORT_ATTEMPTS ?? 100_000);
const ANALYTICS_ATTEMPTS = Number(process.env.BENCH_EXPORT_ANALYTICS_ATTEMPTS ?? 5_000);
const ANALYTICS_QUESTIONS = 90;
const STUDENTS = 1000;
const ADMIN_EMAIL = "bench-admin@bench.test";
const PASSWORD = "Bench-Password-123!";
const TIMEOUT_MS = 600_000;

const RESULTS_TEST = `tst_${"1".padStart(26, "0")}`;
const ANALYTICS_TEST = `tst_${"2".padStart(26, "0")}`;

/**
 * The data, generated inside SQLite by recursive queries (a few statements instead of half a million
 * INSERT rows): 1,000 students; a 3-section test with RESULT_ATTEMPTS scored attempts; a 90-question
 * MCQ test (3 sections of 30) with ANALYTICS_ATTEMPTS scored attempts whose answers depend on each
 * candidate's ability and each question's difficulty, so the item statistics are not noise.
 */
function seedSql(now: number): string {
  const sectionJson = (n: number, score: string) =>
    `json_object('title', 'Section ${n}', 'score', ${score}, 'maxScore', 40, 'correct', ${score} / 4, 'incorrect', (40 - ${score}) / 8, 'unattempted', 10 - ${score} / 4 - (40 - ${score}) / 8, 'accuracy', round(${score} / 40.0, 4))`;
  return `
INSERT INTO users (id, email, name, role, password_hash, timezone, created_at, updated_at)
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${STUDENTS - 1})
  SELECT printf('usr_%026d', i), printf('student-%d@bench.test', i), printf('Student %d', i), 'student', 'x', 'UTC', ${now}, ${now} FROM n;
INSERT INTO users (id, email, name, role, password_hash, timezone, created_at, updated_at)
  VALUES ('usr_${"9".repeat(26)}', 'bench-author@bench.test', 'Author', 'instructor', 'x', 'UTC', ${now}, ${now});
INSERT INTO tests (id, author_id, title, duration_minutes, published, published_at, created_at, updated_at) VALUES
  ('${RESULTS_TEST}', 'usr_${"9".repeat(26)}', 'Results bench', 60, 1, ${now}, ${now}, ${now}),
  ('${ANALYTICS_TEST}', 'usr_${"9".repeat(26)}', 'Analytics bench', 180, 1, ${now}, ${now}, ${now});
INSERT INTO test_sections (id, test_id, position, title) VALUES
  ('sec_A1', '${RESULTS_TEST}', 0, 'Section 1'), ('sec_A2', '${RESULTS_TEST}', 1, 'Section 2'), ('sec_A3', '${RESULTS_TEST}', 2, 'Section 3'),
  ('sec_B1', '${ANALYTICS_TEST}', 0, 'Physics'), ('sec_B2', '${ANALYTICS_TEST}', 1, 'Chemistry'), ('sec_B3', '${ANALYTICS_TEST}', 2, 'Mathematics');
INSERT INTO attempts (id, test_id, user_id, status, started_at, deadline_at, submitted_at, scored_at, score, max_score, result, created_at, updated_at)
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${RESULT_ATTEMPTS - 1}),
  r AS (SELECT i, abs(random()) % 41 AS s1, abs(random()) % 41 AS s2, abs(random()) % 41 AS s3, 600 + abs(random()) % 3000 AS t FROM n)
  SELECT printf('att_A%025d', i), '${RESULTS_TEST}', printf('usr_%026d', i % ${STUDENTS}), 'SCORED', ${now} - i * 1000, ${now} - i * 1000 + 3600000,
    ${now} - i * 1000 + t * 1000, ${now}, s1 + s2 + s3, 120,
    json_object('score', s1 + s2 + s3, 'maxScore', 120, 'accuracy', round((s1 + s2 + s3) / 120.0, 4), 'provisional', json('false'),
      'timeTakenSeconds', t, 'sections', json_array(${sectionJson(1, "s1")}, ${sectionJson(2, "s2")}, ${sectionJson(3, "s3")})),
    ${now}, ${now}
  FROM r;
INSERT INTO questions (id, author_id, type, body, options, answer_key, marks, negative_marks, difficulty, subject, topic, created_at, updated_at)
  WITH RECURSIVE n(q) AS (SELECT 0 UNION ALL SELECT q + 1 FROM n WHERE q < ${ANALYTICS_QUESTIONS - 1})
  SELECT printf('qst_B%025d', q), 'usr_${"9".repeat(26)}', 'MCQ', printf('<p>Question %d: which option follows from the data given?</p>', q + 1),
    '["First","Second","Third","Fourth"]', '{"correctOption":0}', 4, 1, 'medium', 'Science', printf('Topic %d', q % 9), ${now}, ${now} FROM n;
INSERT INTO test_section_questions (section_id, question_id, position)
  WITH RECURSIVE n(q) AS (SELECT 0 UNION ALL SELECT q + 1 FROM n WHERE q < ${ANALYTICS_QUESTIONS - 1})
  SELECT 'sec_B' || (q / 30 + 1), printf('qst_B%025d', q), q % 30 FROM n;
INSERT INTO attempts (id, test_id, user_id, status, started_at, deadline_at, submitted_at, scored_at, score, max_score, created_at, updated_at)
  WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ${ANALYTICS_ATTEMPTS - 1})
  SELECT printf('att_B%025d', i), '${ANALYTICS_TEST}', printf('usr_%026d', i % ${STUDENTS}), 'SCORED', ${now}, ${now} + 10800000, ${now} + 7200000, ${now}, 0, 360, ${now}, ${now} FROM n;
INSERT INTO answers (attempt_id, question_id, answer, answered_at, time_spent_seconds, marks_awarded, is_correct)
  SELECT attempt_id, question_id,
    CASE WHEN roll >= 950 THEN NULL WHEN roll < chance THEN '0' ELSE CAST(1 + roll % 3 AS TEXT) END,
    ${now}, 10 + roll % 110,
    CASE WHEN roll >= 950 THEN 0 WHEN roll < chance THEN 4 ELSE -1 END,
    CASE WHEN roll >= 950 THEN NULL ELSE roll < chance END
  FROM (
    SELECT a.id AS attempt_id, q.id AS question_id, abs(random()) % 1000 AS roll,
      -- ability from the attempt's number, difficulty from the question's: 150‰ to 900‰ chance of a right answer
      150 + (CAST(substr(a.id, 6) AS INTEGER) * 7919 % 1000) * 6 / 10 + 150 - (CAST(substr(q.id, 6) AS INTEGER) % 10) * 30 AS chance
    FROM attempts a CROSS JOIN questions q
    WHERE a.test_id = '${ANALYTICS_TEST}' AND q.id LIKE 'qst_B%'
  );
UPDATE attempts SET
  score = (SELECT sum(marks_awarded) FROM answers WHERE attempt_id = attempts.id),
  result = (SELECT json_object('score', sum(an.marks_awarded), 'maxScore', 360,
      'accuracy', round(sum(an.is_correct = 1) * 1.0 / max(1, sum(an.answer IS NOT NULL)), 4), 'provisional', json('false'), 'timeTakenSeconds', 7200,
      'sections', json_array(
        json_object('title', 'Physics', 'score', sum(CASE WHEN tsq.section_id = 'sec_B1' THEN an.marks_awarded ELSE 0 END), 'maxScore', 120,
          'correct', sum(tsq.section_id = 'sec_B1' AND an.is_correct = 1), 'incorrect', sum(tsq.section_id = 'sec_B1' AND an.is_correct = 0),
          'unattempted', sum(tsq.section_id = 'sec_B1' AND an.answer IS NULL), 'accuracy', 0),
        json_object('title', 'Chemistry', 'score', sum(CASE WHEN tsq.section_id = 'sec_B2' THEN an.marks_awarded ELSE 0 END), 'maxScore', 120,
          'correct', sum(tsq.section_id = 'sec_B2' AND an.is_correct = 1), 'incorrect', sum(tsq.section_id = 'sec_B2' AND an.is_correct = 0),
          'unattempted', sum(tsq.section_id = 'sec_B2' AND an.answer IS NULL), 'accuracy', 0),
        json_object('title', 'Mathematics', 'score', sum(CASE WHEN tsq.section_id = 'sec_B3' THEN an.marks_awarded ELSE 0 END), 'maxScore', 120,
          'correct', sum(tsq.section_id = 'sec_B3' AND an.is_correct = 1), 'incorrect', sum(tsq.section_id = 'sec_B3' AND an.is_correct = 0),
          'unattempted', sum(tsq.section_id = 'sec_B3' AND an.answer IS NULL), 'accuracy', 0)))
    FROM answers an JOIN test_section_questions tsq ON tsq.question_id = an.question_id WHERE an.attempt_id = attempts.id)
  WHERE test_id = '${ANALYTICS_TEST}';
`;
}

/**
 * Exports under wrangler dev against local D1 and R2, through the real API and the exports queue:
 * the 100,000-row results of a test as CSV and as XLSX (a results sheet and a sheet per section: four
 * passes over the attempts), and the analytics PDF of a 90-question test with 5,000 attempts (450,000
 * answers folded into item statistics). Time is the job's, from its start to the file stored; memory
 * is the isolate's heap (V8's used heap and ArrayBuffer stores, read through the inspector every
 * 50 ms) before the export and at its peak while it ran. workerd's inspector cannot force a
 * collection, so the peak includes garbage V8 has not collected yet; each table export runs twice to
 * show that nothing accumulates from one run to the next.
 */
export async function run(): Promise<void> {
  const snapshot = snapshotProject();
  const server = await startLocalServer(
    PORT,
    {
      RATE_LIMIT_POLICIES: JSON.stringify({
        api: { limit: 1_000_000, block: null },
        auth: { limit: 1_000_000, block: null },
        export: { limit: 1_000_000, block: null },
      }),
      ADMIN_EMAILS: ADMIN_EMAIL,
    },
    { cwd: snapshot, inspectorPort: INSPECTOR_PORT, beforeStart: (state) => seedLocalD1(state, seedSql(Date.now()), snapshot) },
  );
  const heap = await inspectHeap(INSPECTOR_PORT);
  try {
    const request = apiClient(server.url);
    const auth = await registerAndSignIn(request, ADMIN_EMAIL, PASSWORD);

    const results = { kind: "test_results", params: { testId: RESULTS_TEST } };
    const analytics = { kind: "test_analytics", format: "pdf", params: { testId: ANALYTICS_TEST } };
    const attempts = RESULT_ATTEMPTS.toLocaleString("en");
    // Each table export runs twice: the heap the isolate holds must not grow with the work already done.
    const cases = [
      { label: `analytics PDF (${ANALYTICS_QUESTIONS} questions × ${ANALYTICS_ATTEMPTS.toLocaleString("en")} attempts)`, body: analytics },
      { label: `results CSV (${attempts} attempts)`, body: { ...results, format: "csv" } },
      { label: `results XLSX (${attempts} attempts, 4 sheets)`, body: { ...results, format: "xlsx" } },
      { label: "results CSV, again", body: { ...results, format: "csv" } },
      { label: "results XLSX, again", body: { ...results, format: "xlsx" } },
    ];
    const rows = [];
    for (const { label, body } of cases) {
      await new Promise((resolve) => setTimeout(resolve, 2000)); // let the runtime settle between cases
      const idle = await heap.read();
      const memory = heap.sample();
      const queued = await request("/v1/exports", { method: "POST", body: JSON.stringify(body), headers: auth });
      const deadline = Date.now() + TIMEOUT_MS;
      let state: Json;
      for (;;) {
        state = await request(`/v1/exports/${queued.id}`, { headers: auth });
        if (state.status === "COMPLETED" || state.status === "FAILED" || Date.now() > deadline) break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
      const peak = await memory.stop();
      if (state.status !== "COMPLETED") throw new Error(`${label}: ${state.status} ${state.error ?? ""}`);
      const link = await request(`/v1/exports/${queued.id}/download-link`, { method: "POST", headers: auth });
      const file = await fetch(link.url.replace(/^https?:\/\/[^/]+/, server.url));
      const bytes = (await file.arrayBuffer()).byteLength;
      const seconds = (Date.parse(state.completedAt) - Date.parse(state.startedAt)) / 1000;
      rows.push({
        export: label,
        rows: state.rowCount,
        "file MiB": bytes / 1024 / 1024,
        "job s": seconds,
        "rows/s": Math.round(state.rowCount / seconds),
        "heap before MiB": idle,
        "heap peak MiB": peak,
      });
    }
    printTable(
      "Exports under wrangler dev (local D1 and R2): the job's time; the isolate's heap before it and at its peak (garbage not yet collected included)",
      rows,
    );
  } finally {
    heap.close();
    await server.stop();
    rmSync(snapshot, { recursive: true, force: true });
  }
}
