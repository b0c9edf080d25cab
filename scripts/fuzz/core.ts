/**
 * The fuzzer's core, independent of how the server runs: it reads an OpenAPI 3.1 document, generates
 * valid and invalid requests for every operation from one seed, sends them through any `fetch`, and
 * checks every answer against the document. scripts/fuzz.ts drives it against `wrangler dev`;
 * scripts/fuzz/self-check.ts drives it against an in-process app with planted bugs.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsPlugin from "ajv-formats";
import { generate, idFor, idPrefixOf, invalidate, randomString, Rng, type GenContext, type Json } from "./generate";

const addFormats = addFormatsPlugin as unknown as (ajv: Ajv2020) => void;
const METHODS = ["get", "post", "put", "patch", "delete"] as const;

interface Operation {
  method: string;
  path: string;
  op: Json;
}

/** Who sends a request: a role name and the headers that authenticate it (none for `anonymous`). */
export interface Caller {
  role: string;
  headers(): Record<string, string>;
}

export interface FuzzRequest {
  index: number;
  operation: string;
  method: string;
  url: string;
  caller: string;
  kind: "valid" | "invalid";
  /** For an invalid request, what was broken. */
  mutation?: string;
  contentType?: string;
  body?: string;
}

export interface Failure {
  request: FuzzRequest;
  status: number;
  reasons: string[];
  responseBody: string;
}

export interface FuzzOptions {
  document: Json;
  fetch: (request: Request) => Promise<Response>;
  baseUrl: string;
  callers: Caller[];
  seed: number;
  /** Stop after this many milliseconds… */
  budgetMs?: number;
  /** …or this many requests, whichever comes first. */
  maxRequests?: number;
  /** Real ids by prefix (`tst` → […]); answers add the ids they carry. */
  ids?: Map<string, string[]>;
  /** Known good values by parameter or property name (`name` → the queue names), used most of the time. */
  named?: Record<string, readonly string[]>;
  /** Only operations whose "METHOD /path" this accepts. */
  filter?: (operation: string) => boolean;
  /** Called after every answer (a caller whose session the fuzz itself ended can log in again here). */
  afterResponse?: (request: FuzzRequest, response: Response, caller: Caller) => Promise<void> | void;
  /** Stop at the first failure (replaying a seed). */
  stopOnFailure?: boolean;
  log?: (line: string) => void;
}

export interface FuzzResult {
  requests: number;
  failures: Failure[];
  /** "METHOD /path" → status → count, to see how deep the run went. */
  statuses: Map<string, Map<number, number>>;
  /** "METHOD /path" → total milliseconds spent waiting for its answers. */
  millis: Map<string, number>;
}

function operationsOf(document: Json): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries<Json>(document.paths ?? {})) {
    for (const method of METHODS) if (item[method]) out.push({ method: method.toUpperCase(), path, op: item[method] });
  }
  return out;
}

/** Resolves `#/…` references, inline, so each schema stands alone for ajv and for generation. */
function inliner(document: Json): (node: unknown) => Json {
  const resolve = (ref: string) =>
    ref
      .slice(2)
      .split("/")
      .reduce((at: Json, key: string) => at?.[key.replaceAll("~1", "/").replaceAll("~0", "~")], document);
  const inline = (node: unknown, seen: string[] = []): Json => {
    if (Array.isArray(node)) return node.map((n) => inline(n, seen));
    if (!node || typeof node !== "object") return node;
    const { $ref, ...rest } = node as Json;
    if (typeof $ref === "string" && $ref.startsWith("#/")) {
      if (seen.includes($ref)) return {}; // a recursive schema: accept anything below the cycle
      return inline({ ...resolve($ref), ...rest }, [...seen, $ref]);
    }
    return Object.fromEntries(Object.entries(rest).map(([key, value]) => [key, inline(value, seen)]));
  };
  return inline;
}

/** Checks answers against the document with ajv (JSON Schema 2020-12, formats on). */
class Checker {
  private readonly ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
  private readonly compiled = new Map<string, ValidateFunction>();
  readonly inline: (node: unknown) => Json;

  constructor(readonly document: Json) {
    addFormats(this.ajv);
    this.inline = inliner(document);
  }

  validator(key: string, schema: Json): ValidateFunction {
    let fn = this.compiled.get(key);
    if (!fn) {
      fn = this.ajv.compile(schema);
      this.compiled.set(key, fn);
    }
    return fn;
  }

  /** Every way the answer breaks the document (empty when it keeps it). */
  check(operation: Operation, request: FuzzRequest, status: number, contentType: string, text: string): string[] {
    const reasons: string[] = [];
    const key = `${operation.method} ${operation.path}`;
    if (status >= 500) reasons.push(`server error ${status}`);
    if (request.kind === "invalid" && status < 400) reasons.push(`accepted an invalid request (${request.mutation}) with ${status}`);
    const documented =
      operation.op.responses?.[String(status)] ?? operation.op.responses?.[`${String(status)[0]}XX`] ?? operation.op.responses?.default;
    if (!documented) {
      reasons.push(`status ${status} is not documented (documented: ${Object.keys(operation.op.responses ?? {}).join(", ")})`);
    }
    const mediaType = contentType.split(";")[0]!.trim().toLowerCase();
    if (status >= 400 && mediaType !== "application/problem+json")
      reasons.push(`error ${status} is ${mediaType || "without a content type"}, not application/problem+json`);
    let body: unknown;
    if (mediaType.endsWith("json") && text !== "") {
      try {
        body = JSON.parse(text);
      } catch {
        reasons.push(`body is not the JSON its ${mediaType} says`);
      }
    }
    if (status >= 400 && body && typeof body === "object") {
      const problem = body as Json;
      if (problem.status !== status) reasons.push(`problem.status ${problem.status} differs from the HTTP status ${status}`);
      if (typeof problem.code !== "string") reasons.push("problem has no code");
    }
    if (!documented) return reasons;
    const response = this.inline(documented);
    if (!response.content) {
      if (text !== "") reasons.push(`status ${status} is documented without a body, but one came (${mediaType})`);
      return reasons;
    }
    const media = response.content[mediaType] ?? matchWildcard(response.content, mediaType);
    if (!media) {
      reasons.push(`${status} answered ${mediaType || "no content type"}; documented: ${Object.keys(response.content).join(", ")}`);
      return reasons;
    }
    if (mediaType.endsWith("json") && body !== undefined && media.schema) {
      const validate = this.validator(`${key} ${status} ${mediaType}`, media.schema);
      if (!validate(body)) {
        const errors = (validate.errors ?? [])
          .slice(0, 5)
          .map((e) => `${e.instancePath || "/"} ${e.message}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`);
        reasons.push(`body does not match the documented ${status} ${mediaType} schema: ${errors.join("; ")}`);
      }
    }
    return reasons;
  }
}

function matchWildcard(content: Json, mediaType: string): Json | undefined {
  for (const [pattern, media] of Object.entries<Json>(content)) {
    if (pattern === "*/*") return media;
    if (pattern.endsWith("/*") && mediaType.startsWith(pattern.slice(0, -1))) return media;
  }
  return undefined;
}

const ID_IN_TEXT = /\b([a-z]{3})_[0-9A-Z]{26}\b/g;

/** Adds every prefixed id an answer carries to the pool, so later requests reach real rows. */
function harvestIds(text: string, ids: Map<string, string[]>): void {
  for (const match of text.matchAll(ID_IN_TEXT)) {
    const pool = ids.get(match[1]!) ?? [];
    if (!pool.includes(match[0])) {
      pool.push(match[0]);
      if (pool.length > 200) pool.shift();
    }
    ids.set(match[1]!, pool);
  }
}

function pathValue(parameter: Json, ctx: GenContext): string {
  const schema = parameter.schema ?? {};
  const prefix = idPrefixOf(schema, parameter.example);
  if (prefix) return idFor(ctx, prefix);
  if (Array.isArray(schema.enum)) return ctx.rng.chance(0.9) ? ctx.rng.pick(schema.enum) : randomString(ctx.rng, 1, 12);
  if (parameter.name === "id" || parameter.name.endsWith("Id")) {
    const pools = [...ctx.ids.entries()].filter(([, v]) => v.length);
    if (pools.length && ctx.rng.chance(0.6)) return ctx.rng.pick(ctx.rng.pick(pools)[1]);
  }
  const generated = generate(schema, ctx, 0, parameter.name);
  return typeof generated === "string" && generated !== "" ? generated : randomString(ctx.rng, 1, 16);
}

function queryValue(value: unknown): string {
  if (Array.isArray(value)) return value.join(",");
  if (value === null || value === undefined) return "";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Builds one request for an operation: valid (per its schemas) or broken in one place. */
function buildRequest(
  operation: Operation,
  ctx: GenContext,
  checker: Checker,
  baseUrl: string,
  index: number,
  caller: string,
  wantInvalid: boolean,
): FuzzRequest {
  const { rng } = ctx;
  const parameters: Json[] = checker.inline(operation.op.parameters ?? []);
  let path = operation.path;
  for (const p of parameters.filter((p) => p.in === "path")) {
    path = path.replace(`{${p.name}}`, encodeURIComponent(pathValue(p, ctx)));
  }
  const query = new URLSearchParams();
  const queryParams = parameters.filter((p) => p.in === "query");
  for (const p of queryParams) {
    if (p.required || rng.chance(p.name === "cursor" ? 0.1 : 0.4)) query.set(p.name, queryValue(generate(p.schema ?? {}, ctx, 0, p.name)));
  }
  let contentType: string | undefined;
  let body: string | undefined;
  const requestBody = checker.inline(operation.op.requestBody ?? null);
  const json = requestBody?.content?.["application/json"];
  const multipart = requestBody?.content?.["multipart/form-data"];
  if (json) {
    contentType = "application/json";
    if (requestBody.required || rng.chance(0.8)) body = JSON.stringify(generate(json.schema ?? {}, ctx));
  } else if (multipart) {
    contentType = "multipart/form-data";
    body = JSON.stringify(generate(multipart.schema ?? {}, ctx)); // turned into form fields when sent
  }

  let kind: FuzzRequest["kind"] = "valid";
  let mutation: string | undefined;
  if (wantInvalid) {
    const choices: (() => boolean)[] = [];
    if (json) {
      choices.push(() => {
        body = rng.pick(["{", '{"a":', "nul", "[1,", "\u0000"]);
        mutation = "a body that is not JSON";
        return true;
      });
      choices.push(() => {
        const bad = invalidate(json.schema ?? {}, ctx);
        if (!bad) return false;
        const validate = checker.validator(`request ${operation.method} ${operation.path}`, json.schema ?? {});
        if (validate(bad.value)) return false; // not actually invalid: keep the request valid
        body = JSON.stringify(bad.value);
        mutation = `body: ${bad.how}`;
        return true;
      });
      choices.push(() => {
        contentType = "text/plain";
        body = body ?? "{}";
        mutation = "a JSON body sent as text/plain";
        return true;
      });
    }
    for (const p of queryParams) {
      choices.push(() => {
        const bad = invalidate(p.schema ?? {}, ctx);
        if (!bad || (bad.value !== null && typeof bad.value === "object")) return false;
        // A query value is text: `?title=3` is a fine string, so a number only breaks a numeric or enum parameter.
        const numeric = p.schema?.type === "integer" || p.schema?.type === "number";
        if (typeof bad.value === "number" && !numeric && !Array.isArray(p.schema?.enum)) return false;
        query.set(p.name, queryValue(bad.value));
        mutation = `query ${p.name}: ${bad.how}`;
        return true;
      });
    }
    for (const choice of rng.shuffle(choices)) {
      if (choice()) {
        kind = "invalid";
        break;
      }
    }
  }
  const search = query.toString();
  return {
    index,
    operation: `${operation.method} ${operation.path}`,
    method: operation.method,
    url: `${baseUrl}${path}${search ? `?${search}` : ""}`,
    caller,
    kind,
    mutation,
    contentType,
    body,
  };
}

function toRequest(request: FuzzRequest, headers: Record<string, string>): Request {
  const init: RequestInit = { method: request.method, headers: { ...headers } };
  if (request.body !== undefined && request.contentType === "multipart/form-data") {
    const form = new FormData();
    let fields: Json = {};
    try {
      fields = JSON.parse(request.body);
    } catch {
      // left empty
    }
    for (const [name, value] of Object.entries<Json>(fields ?? {})) {
      if (name === "file") form.set("file", new Blob([String(value)], { type: "application/octet-stream" }), "fuzz.bin");
      else form.set(name, typeof value === "string" ? value : JSON.stringify(value));
    }
    init.body = form;
  } else if (request.body !== undefined) {
    (init.headers as Record<string, string>)["Content-Type"] = request.contentType ?? "application/json";
    init.body = request.body;
  }
  return new Request(request.url, init);
}

/** How to send a failing request again by hand. */
export function describeRequest(request: FuzzRequest): string {
  const lines = [
    `#${request.index} ${request.method} ${request.url}`,
    `  operation: ${request.operation}`,
    `  caller: ${request.caller}`,
    `  kind: ${request.kind}${request.mutation ? ` (${request.mutation})` : ""}`,
  ];
  if (request.body !== undefined)
    lines.push(`  ${request.contentType}: ${request.body.length > 600 ? `${request.body.slice(0, 600)}…` : request.body}`);
  return lines.join("\n");
}

/** Runs the fuzz: round after round over every operation (shuffled), one caller and kind per request. */
export async function fuzz(options: FuzzOptions): Promise<FuzzResult> {
  const rng = new Rng(options.seed);
  const ids = options.ids ?? new Map<string, string[]>();
  const ctx: GenContext = { rng, ids, named: new Map(Object.entries(options.named ?? {})) };
  const checker = new Checker(options.document);
  const operations = operationsOf(options.document).filter((o) => !options.filter || options.filter(`${o.method} ${o.path}`));
  if (!operations.length) throw new Error("no operation to fuzz");
  const deadline = Date.now() + (options.budgetMs ?? 60_000);
  const maxRequests = options.maxRequests ?? Number.POSITIVE_INFINITY;
  const result: FuzzResult = { requests: 0, failures: [], statuses: new Map(), millis: new Map() };
  let index = 0;
  while (Date.now() < deadline && index < maxRequests) {
    for (const operation of rng.shuffle([...operations])) {
      if (Date.now() >= deadline || index >= maxRequests) break;
      const caller = rng.pick(options.callers);
      const request = buildRequest(operation, ctx, checker, options.baseUrl, index++, caller.role, rng.chance(0.3));
      let response: Response;
      const sent = Date.now();
      try {
        response = await options.fetch(toRequest(request, caller.headers()));
      } catch (error) {
        result.failures.push({ request, status: 0, reasons: [`the request failed: ${(error as Error).message}`], responseBody: "" });
        if (options.stopOnFailure) return result;
        continue;
      }
      // Bytes (images, uploads, the reference page and its scripts) are checked by media type only.
      const binary = response.ok && /image|octet|javascript|html|csv|ndjson/.test(response.headers.get("Content-Type") ?? "");
      const text = binary ? ((await response.arrayBuffer()).byteLength ? "(bytes)" : "") : await response.clone().text();
      result.millis.set(request.operation, (result.millis.get(request.operation) ?? 0) + Date.now() - sent);
      result.requests++;
      const byStatus = result.statuses.get(request.operation) ?? new Map<number, number>();
      byStatus.set(response.status, (byStatus.get(response.status) ?? 0) + 1);
      result.statuses.set(request.operation, byStatus);
      const reasons = checker.check(operation, request, response.status, response.headers.get("Content-Type") ?? "", text);
      if (response.ok) harvestIds(text, ids);
      await options.afterResponse?.(request, response, caller);
      if (reasons.length) {
        const failure = { request, status: response.status, reasons, responseBody: text.slice(0, 1000) };
        result.failures.push(failure);
        options.log?.(
          `FAIL ${describeRequest(request)}\n  → ${response.status}: ${reasons.join("\n    ")}\n  body: ${failure.responseBody.slice(0, 400)}`,
        );
        if (options.stopOnFailure) return result;
      }
    }
  }
  return result;
}
