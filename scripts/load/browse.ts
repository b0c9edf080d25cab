import { setTimeout as sleep } from "node:timers/promises";
import type { Json } from "../../bench/lib/api";
import { must, type LoadClient } from "./client";
import { runArrivals } from "./open-model";
import { Recorder } from "./recorder";
import { pick, type Scenario, type ScenarioContext } from "./scenario";
import { prepareStudents } from "./students";

/** Words found in the seeded bank (scripts/seed.ts) and common in any test-prep bank. */
const SEARCH_WORDS = ["newton", "prime", "acid", "gravity", "triangle", "energy", "algebra", "mock", "sprint", "electron"];
const SUGGEST_PREFIXES = ["ma", "ph", "ch", "qu", "mi"];
const SUBJECTS = ["Maths", "Physics", "Chemistry"];
const DEFAULT_READERS = 10;

interface Catalogue {
  students: string[];
  testIds: string[];
  questionIds: string[];
  admin: string | null;
}

/** The reads of one arrival, weighted as a student-facing front end mixes them (question bank reads are an author's). */
function reads(c: Catalogue): { weight: number; read: (client: LoadClient) => Promise<unknown> }[] {
  const student = () => pick(c.students);
  return [
    { weight: 20, read: (client) => client.call("list tests", "GET", "/v1/tests?limit=20", { token: student() }) },
    { weight: 30, read: (client) => client.call("test detail", "GET", `/v1/tests/${pick(c.testIds)}`, { token: student() }) },
    { weight: 20, read: (client) => client.call("search", "GET", `/v1/search?q=${pick(SEARCH_WORDS)}`, { token: student() }) },
    { weight: 10, read: (client) => client.call("suggest", "GET", `/v1/search/suggest?q=${pick(SUGGEST_PREFIXES)}`, { token: student() }) },
    ...(c.admin && c.questionIds.length
      ? [
          {
            weight: 10,
            read: (client: LoadClient) =>
              client.call("question bank", "GET", `/v1/questions?limit=20&subject=${pick(SUBJECTS)}`, { token: c.admin }),
          },
          {
            weight: 10,
            read: (client: LoadClient) => client.call("question detail", "GET", `/v1/questions/${pick(c.questionIds)}`, { token: c.admin }),
          },
        ]
      : []),
  ];
}

/** The entry whose cumulative weight first exceeds `roll` (0 ≤ roll < total weight). */
function weighted<T extends { weight: number }>(entries: T[], roll: number): T {
  let rest = roll;
  for (const entry of entries) {
    rest -= entry.weight;
    if (rest < 0) return entry;
  }
  return entries.at(-1)!;
}

/** Locally the seed writes rows without events, so the search index starts empty: rebuild it (POST /v1/admin/search/reindex). */
async function rebuildSearchIndex(client: LoadClient, admin: string): Promise<void> {
  const job = must(await client.call("reindex", "POST", "/v1/admin/search/reindex", { token: admin }));
  for (let polls = 0; polls < 240; polls++) {
    const state = must(await client.call("reindex job", "GET", `/v1/jobs/${job.body.id}`, { token: admin }));
    if (state.body.status === "COMPLETED") return;
    if (state.body.status === "FAILED") throw new Error(`search reindex failed: ${state.body.error}`);
    await sleep(250);
  }
  throw new Error("search reindex did not finish within a minute");
}

async function prepare(ctx: ScenarioContext): Promise<Catalogue> {
  const { setup, options, target } = ctx;
  const students = await prepareStudents(setup, options, target.students, ctx.runId, options.users ?? DEFAULT_READERS);
  const tests = must(await setup.call("list tests", "GET", "/v1/tests?limit=100", { token: students[0] }));
  const testIds = (tests.body.data as Json[]).map((t) => t.id as string);
  if (testIds.length === 0) throw new Error("no published test to browse");
  let questionIds: string[] = [];
  if (target.adminToken) {
    const bank = must(await setup.call("question bank", "GET", "/v1/questions?limit=100", { token: target.adminToken }));
    questionIds = (bank.body.data as Json[]).map((q) => q.id as string);
    if (target.local) await rebuildSearchIndex(setup, target.adminToken);
  } else {
    ctx.log("No --token: question bank reads (an author's) are left out of the mix.");
  }
  return { students, testIds, questionIds, admin: target.adminToken };
}

/** Browsing and reading: test lists and details, the question bank, search and suggestions. One arrival is one request. */
export const browse: Scenario = {
  name: "browse",
  arrival: "requests",
  students: (options) => options.users ?? DEFAULT_READERS,
  async run(ctx) {
    const catalogue = await prepare(ctx);
    const mix = reads(catalogue);
    const total = mix.reduce((sum, r) => sum + r.weight, 0);
    ctx.log("Setup done: measuring.");
    const recorder = new Recorder();
    const client = ctx.setup.recordingInto(recorder);
    const { rate, durationSeconds, maxInFlight } = ctx.options;
    const arrivals = await runArrivals({ ratePerSecond: rate, durationSeconds, maxInFlight }, async () => {
      await weighted(mix, Math.random() * total).read(client);
    });
    return { recorder, arrivals };
  },
};
