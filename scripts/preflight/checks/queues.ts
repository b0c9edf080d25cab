import { DEFAULT_JOB_ATTEMPTS } from "../../../src/lib/queue/bindings";
import { fail, pass, warn, type Check, type Finding, type PreflightInput } from "../finding";
import type { QueueConsumer } from "../wrangler-env";

/** As workers/queue.ts reads a queue's name: the part after the last `-` (`proctor-production-scoring` is `scoring`). */
const logicalName = (queue: string) => queue.slice(queue.lastIndexOf("-") + 1);
const DEAD_LETTER = "dlq";
/** What Cloudflare Queues uses when a consumer sets nothing. */
const QUEUE_DEFAULTS = { max_batch_size: 10, max_batch_timeout: 5, max_retries: 3 } as const;

function producers(input: PreflightInput): Finding {
  const { env, code } = input;
  const problems: string[] = [];
  for (const binding of code.bindings.filter((b) => b.kind === "queue")) {
    const producer = env.queueProducers.find((p) => p.binding === binding.name);
    const expected = binding.name.replace(/^QUEUE_/, "").toLowerCase();
    if (!producer) problems.push(`${binding.name} has no producer`);
    else if (logicalName(producer.queue) !== expected)
      problems.push(`${binding.name} sends to ${producer.queue}, not a queue named …-${expected}`);
  }
  const create = queuesToCreate(input);
  return problems.length
    ? fail("Queue producers", problems.join("; "), create)
    : pass("Queue producers", `${env.queueProducers.length} bindings, one per job queue`, create);
}

function consumers({ env, code }: PreflightInput): Finding {
  const consumed = new Set(env.queueConsumers.map((c) => c.queue));
  const problems: string[] = [];
  for (const producer of env.queueProducers) if (!consumed.has(producer.queue)) problems.push(`nothing consumes ${producer.queue}`);
  for (const consumer of env.queueConsumers) {
    const name = logicalName(consumer.queue);
    if (name !== DEAD_LETTER && !code.jobQueues.includes(name))
      problems.push(`${consumer.queue} is no queue the consumer dispatches (${name})`);
  }
  for (const name of code.jobQueues) {
    if (!env.queueConsumers.some((c) => logicalName(c.queue) === name)) problems.push(`no consumer for the ${name} queue`);
  }
  return problems.length
    ? fail("Queue consumers", problems.join("; "))
    : pass("Queue consumers", `${env.queueConsumers.length} consumers, every producer's queue consumed`);
}

function deadLetter({ env }: PreflightInput): Finding {
  const jobConsumers = env.queueConsumers.filter((c) => logicalName(c.queue) !== DEAD_LETTER);
  const without = jobConsumers.filter((c) => !c.dead_letter_queue).map((c) => c.queue);
  if (without.length) return fail("Dead-letter queue", `no dead_letter_queue on ${without.join(", ")}: their failures would vanish`);
  const targets = [...new Set(jobConsumers.map((c) => c.dead_letter_queue!))];
  const unconsumed = targets.filter((t) => !env.queueConsumers.some((c) => c.queue === t));
  if (unconsumed.length)
    return fail("Dead-letter queue", `nothing consumes ${unconsumed.join(", ")}: dead letters would never be recorded`);
  const misnamed = targets.filter((t) => logicalName(t) !== DEAD_LETTER);
  if (misnamed.length)
    return fail("Dead-letter queue", `${misnamed.join(", ")} is not named …-${DEAD_LETTER}, so its consumer treats it as a job queue`);
  return pass("Dead-letter queue", `${targets.join(", ")}, consumed`);
}

function retries({ env }: PreflightInput): Finding {
  const low = env.queueConsumers
    .filter((c) => logicalName(c.queue) !== DEAD_LETTER)
    .filter((c) => (c.max_retries ?? QUEUE_DEFAULTS.max_retries) + 1 < DEFAULT_JOB_ATTEMPTS)
    .map((c) => `${c.queue} (${c.max_retries})`);
  return low.length
    ? fail("Queue retries", `below the ${DEFAULT_JOB_ATTEMPTS} deliveries a job gets by default: ${low.join(", ")}`)
    : pass("Queue retries", `every job queue allows at least ${DEFAULT_JOB_ATTEMPTS} deliveries`);
}

/** A non-top environment must not produce to or consume the development queues. */
function ownQueues({ env, topLevel }: PreflightInput): Finding[] {
  if (env.envName === "") return [];
  const development = new Set([...topLevel.queueProducers.map((p) => p.queue), ...topLevel.queueConsumers.map((c) => c.queue)]);
  const shared = [...new Set([...env.queueProducers.map((p) => p.queue), ...env.queueConsumers.map((c) => c.queue)])].filter((q) =>
    development.has(q),
  );
  return [
    shared.length
      ? fail("Queues of its own", `shares ${shared.join(", ")} with the top-level (development) configuration`)
      : pass("Queues of its own", "no queue shared with the top level"),
  ];
}

/**
 * Consumer settings are not inherited: a `[[env.x.queues.consumers]]` that leaves out max_batch_timeout
 * gets Cloudflare's 5 s, not the top level's 1 s. Differences are reported so they are deliberate.
 */
function settingsDrift({ env, topLevel }: PreflightInput): Finding[] {
  if (env.envName === "") return [];
  const differences: string[] = [];
  for (const consumer of env.queueConsumers) {
    const twin = topLevel.queueConsumers.find((c) => logicalName(c.queue) === logicalName(consumer.queue));
    if (!twin) continue;
    for (const key of Object.keys(QUEUE_DEFAULTS) as (keyof typeof QUEUE_DEFAULTS & keyof QueueConsumer)[]) {
      const here = consumer[key] ?? QUEUE_DEFAULTS[key];
      const there = twin[key] ?? QUEUE_DEFAULTS[key];
      if (here !== there) differences.push(`${logicalName(consumer.queue)}.${key} ${here} (top level ${there})`);
    }
  }
  return [
    differences.length
      ? warn("Queue consumer settings", `differ from the top level: ${differences.join(", ")}`)
      : pass("Queue consumer settings", "same batch size, batch timeout and retries as the top level"),
  ];
}

function queuesToCreate({ env }: PreflightInput): string[] {
  const names = new Set([...env.queueProducers.map((p) => p.queue), ...env.queueConsumers.map((c) => c.queue)]);
  for (const consumer of env.queueConsumers) if (consumer.dead_letter_queue) names.add(consumer.dead_letter_queue);
  return [...names].map((name) => `npx wrangler queues create ${name}`);
}

/** Every queue binding of src/env.ts has a producer, every queue a consumer, every job queue a dead-letter queue. */
export const checkQueues: Check = (input) => {
  return [producers(input), consumers(input), deadLetter(input), retries(input), ...ownQueues(input), ...settingsDrift(input)];
};
