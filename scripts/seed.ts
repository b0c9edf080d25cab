/**
 * `npm run seed`: a local world to try Proctor with — an admin, an instructor and a student, a few
 * dozen questions of every type, two published tests, two plans and a coupon — written into the
 * LOCAL D1 database that `npm start` serves. Safe to re-run: it deletes its own rows (fixed ids and
 * e-mails) and writes them again. Credentials are printed at the end and listed in docs/exam.md.
 * `npm start` runs the same seed by itself on a database without users (scripts/start.ts).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { hashPassword } from "../src/lib/auth/password";
import { toQuestionContent } from "../src/lib/exam/questions";
import { questionInput, type QuestionInput } from "../src/lib/validation/questions";
import { applyLocalMigrations, wrangler } from "./local-d1";

export const SEED_PASSWORD = "Exam-Demo-2026!";
export const SEED_USERS = [
  { id: "usr_0SEED00000000000000000ADM", email: "admin@proctor.example", name: "Ada Admin", role: "admin" },
  { id: "usr_0SEED00000000000000000NST", email: "instructor@proctor.example", name: "Ivan Instructor", role: "instructor" },
  { id: "usr_0SEED00000000000000000STD", email: "student@proctor.example", name: "Sita Student", role: "student" },
] as const;

const INSTRUCTOR = SEED_USERS[1].id;
const SQL_FILE = ".wrangler/seed.sql";

type Row = Record<string, string | number | boolean | null>;

function literal(value: Row[string]): string {
  if (value === null) return "NULL";
  if (typeof value === "boolean") return value ? "1" : "0";
  if (typeof value === "number") return String(value);
  return `'${value.replaceAll("'", "''")}'`;
}

export function insert(table: string, row: Row): string {
  const columns = Object.keys(row);
  return `INSERT INTO ${table} (${columns.join(", ")}) VALUES (${columns.map((c) => literal(row[c]!)).join(", ")});`;
}

const seedId = (prefix: string, n: number) => `${prefix}_0SEED${String(n).padStart(21, "0")}`;

const mcq = (
  subject: string,
  topic: string,
  body: string,
  options: string[],
  correctOption: number,
  difficulty = "easy",
  explanation?: string,
): QuestionInput =>
  questionInput.parse({ type: "MCQ", body, options, correctOption, marks: 4, negativeMarks: 1, difficulty, subject, topic, explanation });
const msq = (
  subject: string,
  topic: string,
  body: string,
  options: string[],
  correctOptions: number[],
  difficulty = "medium",
  explanation?: string,
): QuestionInput =>
  questionInput.parse({ type: "MSQ", body, options, correctOptions, marks: 4, negativeMarks: 2, difficulty, subject, topic, explanation });
const integer = (
  subject: string,
  topic: string,
  body: string,
  answer: number,
  difficulty = "medium",
  explanation?: string,
): QuestionInput =>
  questionInput.parse({ type: "INTEGER", body, answer, marks: 3, negativeMarks: 0, difficulty, subject, topic, explanation });
const range = (
  subject: string,
  topic: string,
  body: string,
  min: number,
  max: number,
  difficulty = "hard",
  explanation?: string,
): QuestionInput =>
  questionInput.parse({ type: "RANGE", body, min, max, marks: 3, negativeMarks: 0, difficulty, subject, topic, explanation });
const subjective = (subject: string, topic: string, body: string, rubric: string): QuestionInput =>
  questionInput.parse({ type: "SUBJECTIVE", body, rubric, marks: 5, negativeMarks: 0, difficulty: "medium", subject, topic });

export const SEED_QUESTIONS: QuestionInput[] = [
  mcq("Maths", "Arithmetic", "<p>What is 7 × 8?</p>", ["54", "56", "58", "64"], 1, "easy", "7 × 8 = 56."),
  mcq("Maths", "Algebra", "<p>Solve for x: 2x + 6 = 14</p>", ["2", "3", "4", "5"], 2, "easy", "2x = 8, so x = 4."),
  mcq("Maths", "Geometry", "<p>The sum of the interior angles of a triangle is</p>", ["90°", "180°", "270°", "360°"], 1, "easy"),
  mcq("Physics", "Units", "<p>The SI unit of force is the</p>", ["joule", "watt", "newton", "pascal"], 2, "easy", "1 N = 1 kg·m/s²."),
  mcq("Physics", "Optics", "<p>Light travels fastest in</p>", ["glass", "water", "a vacuum", "diamond"], 2, "medium"),
  mcq("Chemistry", "Periodic table", "<p>Which element has atomic number 6?</p>", ["Oxygen", "Carbon", "Nitrogen", "Boron"], 1, "easy"),
  mcq("Chemistry", "Acids and bases", "<p>A solution with pH 3 is</p>", ["acidic", "neutral", "basic", "amphoteric"], 0, "easy"),
  msq(
    "Maths",
    "Number theory",
    "<p>Which of these are prime?</p>",
    ["2", "9", "11", "15", "17"],
    [0, 2, 4],
    "medium",
    "9 = 3², 15 = 3 × 5.",
  ),
  msq("Maths", "Functions", "<p>Which functions are even?</p>", ["x²", "x³", "cos x", "sin x"], [0, 2], "hard"),
  msq("Physics", "Vectors", "<p>Which quantities are vectors?</p>", ["velocity", "mass", "force", "temperature"], [0, 2], "medium"),
  msq("Physics", "Energy", "<p>Which are forms of energy?</p>", ["kinetic", "potential", "momentum", "thermal"], [0, 1, 3], "easy"),
  msq("Chemistry", "Gases", "<p>Which are noble gases?</p>", ["Neon", "Nitrogen", "Argon", "Chlorine"], [0, 2], "medium"),
  msq("Chemistry", "Bonding", "<p>Which compounds are ionic?</p>", ["NaCl", "CH₄", "MgO", "CO₂"], [0, 2], "hard"),
  integer("Maths", "Arithmetic", "<p>What is 15% of 240?</p>", 36, "easy", "0.15 × 240 = 36."),
  integer("Maths", "Combinatorics", "<p>In how many ways can 4 books be arranged on a shelf?</p>", 24, "medium", "4! = 24."),
  integer("Maths", "Geometry", "<p>How many diagonals does a hexagon have?</p>", 9, "medium", "n(n − 3)/2 = 9."),
  integer("Physics", "Kinematics", "<p>A car goes from 0 to 20 m/s in 4 s. Its acceleration in m/s² is</p>", 5, "easy"),
  integer("Chemistry", "Periodic table", "<p>How many electrons does a neutral sodium atom have?</p>", 11, "easy"),
  integer("Chemistry", "Stoichiometry", "<p>Moles of H₂O formed from 4 mol H₂ with excess O₂?</p>", 4, "medium"),
  range(
    "Physics",
    "Gravity",
    "<p>Acceleration due to gravity at sea level, in m/s² (two decimals)</p>",
    9.78,
    9.83,
    "medium",
    "About 9.81 m/s².",
  ),
  range("Physics", "Waves", "<p>Speed of sound in air at 20 °C, in m/s</p>", 340, 346, "hard"),
  range("Maths", "Constants", "<p>The value of π to two decimals</p>", 3.14, 3.15, "easy"),
  range("Maths", "Constants", "<p>The value of √2 to two decimals</p>", 1.41, 1.42, "medium"),
  range("Chemistry", "Constants", "<p>Avogadro's number, in units of 10²³</p>", 6.02, 6.03, "medium"),
  subjective(
    "Physics",
    "Mechanics",
    "<p>State Newton's first law and give an everyday example.</p>",
    "Inertia stated correctly (2); a valid example (3).",
  ),
  subjective(
    "Chemistry",
    "Reactions",
    "<p>Explain why iron rusts faster near the sea.</p>",
    "Electrolyte (salt) speeds oxidation (3); mentions water and oxygen (2).",
  ),
  subjective(
    "Maths",
    "Proofs",
    "<p>Prove that the square root of 2 is irrational.</p>",
    "Contradiction set up (2); parity argument (2); conclusion (1).",
  ),
  subjective(
    "Physics",
    "Thermodynamics",
    "<p>Why does a metal spoon feel colder than a wooden one at the same temperature?</p>",
    "Thermal conductivity (3); heat flow from the hand (2).",
  ),
];

/** Question ids by index, so tests can name them. */
const questionIds = SEED_QUESTIONS.map((_, i) => seedId("qst", i + 1));

export const SEED_TESTS = [
  {
    id: seedId("tst", 1),
    title: "Quick Sprint: every question type",
    description: "<p>Five questions, one of each type, in 15 minutes.</p>",
    durationMinutes: 15,
    msqScoring: "all_or_nothing",
    sections: [
      { title: "Objective", questions: [0, 7, 13], marksPerQuestion: null, negativeMarks: null },
      { title: "Numeric and written", questions: [19, 24], marksPerQuestion: null, negativeMarks: null },
    ],
  },
  {
    id: seedId("tst", 2),
    title: "Mixed Mock (JEE style)",
    description: "<p>Three sections with section marking (+4/−1), partial marks for multi-select.</p>",
    durationMinutes: 60,
    msqScoring: "partial",
    sections: [
      { title: "Physics", questions: [3, 4, 9, 10, 16, 20, 27], marksPerQuestion: 4, negativeMarks: 1 },
      { title: "Chemistry", questions: [5, 6, 11, 12, 17, 18, 23, 25], marksPerQuestion: 4, negativeMarks: 1 },
      { title: "Maths", questions: [1, 2, 8, 14, 15, 21, 22, 26], marksPerQuestion: null, negativeMarks: null },
    ],
  },
];

/** The whole seed as SQL statements (deletes of its own rows first), for `wrangler d1 execute --file`. */
export async function buildSeedSql(now: number): Promise<string> {
  const statements: string[] = [];
  const userIds = SEED_USERS.map((u) => literal(u.id)).join(", ");
  const emails = SEED_USERS.map((u) => literal(u.email)).join(", ");
  // Deleting the users cascades to everything they own (questions, tests, attempts, sessions…).
  statements.push(`DELETE FROM coupons WHERE code = 'WELCOME10';`);
  statements.push(`DELETE FROM users WHERE id IN (${userIds}) OR email IN (${emails});`);
  statements.push(`DELETE FROM subscriptions WHERE plan_id IN ('${seedId("pln", 1)}', '${seedId("pln", 2)}');`);
  statements.push(`DELETE FROM plans WHERE id IN ('${seedId("pln", 1)}', '${seedId("pln", 2)}');`);

  for (const user of SEED_USERS) {
    statements.push(
      insert("users", {
        id: user.id,
        email: user.email,
        name: user.name,
        role: user.role,
        password_hash: await hashPassword(SEED_PASSWORD),
        timezone: "UTC",
        created_at: now,
        updated_at: now,
      }),
    );
  }
  SEED_QUESTIONS.forEach((input, i) => {
    const content = toQuestionContent(input);
    statements.push(
      insert("questions", {
        id: questionIds[i]!,
        author_id: INSTRUCTOR,
        type: content.type,
        body: content.body,
        options: content.options ? JSON.stringify(content.options) : null,
        answer_key: JSON.stringify(content.answerKey),
        marks: content.marks!,
        negative_marks: content.negativeMarks!,
        difficulty: content.difficulty!,
        subject: content.subject,
        topic: content.topic ?? null,
        explanation: content.explanation ?? null,
        created_at: now + i,
        updated_at: now + i,
      }),
    );
  });
  for (const [testIndex, test] of SEED_TESTS.entries()) {
    statements.push(
      insert("tests", {
        id: test.id,
        author_id: INSTRUCTOR,
        title: test.title,
        description: test.description,
        duration_minutes: test.durationMinutes,
        msq_scoring: test.msqScoring,
        published: true,
        published_at: now,
        created_at: now,
        updated_at: now,
      }),
    );
    test.sections.forEach((section, position) => {
      const sectionId = seedId("sec", testIndex * 10 + position + 1);
      statements.push(
        insert("test_sections", {
          id: sectionId,
          test_id: test.id,
          position,
          title: section.title,
          marks_per_question: section.marksPerQuestion,
          negative_marks: section.negativeMarks,
        }),
      );
      section.questions.forEach((index, order) => {
        statements.push(insert("test_section_questions", { section_id: sectionId, question_id: questionIds[index]!, position: order }));
      });
    });
  }
  statements.push(
    insert("plans", {
      id: seedId("pln", 1),
      name: "Monthly",
      description: "Every test, every month.",
      price_cents: 49_900,
      currency: "INR",
      interval_months: 1,
      features: JSON.stringify(["All mock tests", "Detailed solutions"]),
      active: true,
      created_at: now,
      updated_at: now,
    }),
    insert("plans", {
      id: seedId("pln", 2),
      name: "Yearly",
      description: "Twelve months for the price of ten.",
      price_cents: 499_000,
      currency: "INR",
      interval_months: 12,
      features: JSON.stringify(["All mock tests", "Detailed solutions", "Study planner"]),
      active: true,
      created_at: now,
      updated_at: now,
    }),
    insert("coupons", {
      id: seedId("cpn", 1),
      code: "WELCOME10",
      kind: "PERCENT",
      value: 10,
      max_redemptions: 100,
      redemption_count: 0,
      active: true,
      created_by: SEED_USERS[0].id,
      created_at: now,
      updated_at: now,
    }),
  );
  return statements.join("\n") + "\n";
}

/** Writes the seed into the local D1 database (already migrated). `d1Args`: e.g. `["--persist-to", dir]`. */
export async function seedLocalDatabase(d1Args: string[] = [], options: { quiet?: boolean } = {}): Promise<void> {
  const sql = await buildSeedSql(Date.now());
  mkdirSync(".wrangler", { recursive: true });
  writeFileSync(SQL_FILE, sql);
  wrangler(["d1", "execute", "DB", "--local", ...d1Args, "--file", SQL_FILE], options);
}

/** What was seeded and the credentials to sign in with. */
export function printSeedSummary(): void {
  console.log(
    `\nSeeded ${SEED_USERS.length} users, ${SEED_QUESTIONS.length} questions, ${SEED_TESTS.length} published tests, 2 plans, coupon WELCOME10.`,
  );
  console.log(`Sign in with any of these (password ${SEED_PASSWORD}):`);
  for (const user of SEED_USERS) console.log(`  ${user.role.padEnd(10)} ${user.email}`);
  console.log(`Tests: ${SEED_TESTS.map((t) => `${t.id} (${t.title})`).join(", ")}`);
}

async function main() {
  applyLocalMigrations();
  await seedLocalDatabase([], { quiet: true }); // the summary below says what it wrote; errors still show
  printSeedSummary();
}

// Run only as a script, so the bench can import the seed without writing anything.
if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
