import { parse } from "smol-toml";

type Table = Record<string, unknown>;

export interface QueueConsumer {
  queue: string;
  max_batch_size?: number;
  max_batch_timeout?: number;
  max_retries?: number;
  dead_letter_queue?: string;
}

/**
 * One environment of wrangler.toml as wrangler deploys it: the `[env.<name>]` table with the keys
 * wrangler inherits from the top level filled in, and the keys it does not inherit (vars and every
 * binding) taken from the environment alone — so a binding declared only at the top level is missing.
 */
export interface WranglerEnv {
  /** `""` for the top level. */
  envName: string;
  workerName: string;
  vars: Record<string, string>;
  d1Databases: { binding: string; database_name?: string; database_id?: string; migrations_dir?: string }[];
  r2Buckets: { binding: string; bucket_name?: string }[];
  kvNamespaces: { binding: string; id?: string }[];
  durableObjects: { name: string; class_name: string }[];
  /** `[[migrations]]` of Durable Object classes (inherited). */
  durableObjectMigrations: { tag: string; new_sqlite_classes?: string[]; new_classes?: string[] }[];
  queueProducers: { binding: string; queue: string }[];
  queueConsumers: QueueConsumer[];
  analyticsEngineDatasets: { binding: string; dataset?: string }[];
  crons: string[];
  routes: unknown[];
  workersDev: boolean | undefined;
  observabilityEnabled: boolean;
  /** `secrets.required`, when the environment declares it. */
  requiredSecrets: string[] | undefined;
}

export function parseWranglerToml(text: string): Table {
  return parse(text) as Table;
}

const tableAt = (value: unknown): Table => (value && typeof value === "object" && !Array.isArray(value) ? (value as Table) : {});
const listAt = <T>(value: unknown): T[] => (Array.isArray(value) ? (value as T[]) : []);

/** Names of the environments `[env.<name>]` declares. */
function environmentNames(config: Table): string[] {
  return Object.keys(tableAt(config.env));
}

/** The environment `envName` (or the top level, for `""`), resolved with wrangler's inheritance rules. */
export function wranglerEnv(config: Table, envName = ""): WranglerEnv {
  const own = envName === "" ? config : tableAt(tableAt(config.env)[envName]);
  if (envName !== "" && !(envName in tableAt(config.env))) {
    throw new Error(`wrangler.toml has no [env.${envName}] (it declares: ${environmentNames(config).join(", ") || "none"})`);
  }
  const inherited = (key: string): unknown => (key in own ? own[key] : config[key]);
  const queues = tableAt(own.queues);
  const routes = inherited("routes") ?? (inherited("route") ? [inherited("route")] : []);
  const workersDev = inherited("workers_dev");
  const secrets = tableAt(own.secrets);
  return {
    envName,
    workerName: String(own.name ?? (envName === "" ? config.name : `${String(config.name)}-${envName}`)),
    vars: Object.fromEntries(Object.entries(tableAt(own.vars)).map(([key, value]) => [key, String(value)])),
    d1Databases: listAt(own.d1_databases),
    r2Buckets: listAt(own.r2_buckets),
    kvNamespaces: listAt(own.kv_namespaces),
    durableObjects: listAt(tableAt(own.durable_objects).bindings),
    durableObjectMigrations: listAt(inherited("migrations")),
    queueProducers: listAt(queues.producers),
    queueConsumers: listAt(queues.consumers),
    analyticsEngineDatasets: listAt(own.analytics_engine_datasets),
    crons: listAt<string>(tableAt(inherited("triggers")).crons),
    routes: listAt(routes),
    workersDev: typeof workersDev === "boolean" ? workersDev : undefined,
    observabilityEnabled: tableAt(inherited("observability")).enabled === true,
    requiredSecrets: Array.isArray(secrets.required) ? (secrets.required as string[]) : undefined,
  };
}
