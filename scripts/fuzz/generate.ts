/**
 * Seeded generation of request values from the document's JSON Schemas (OpenAPI 3.1 = JSON Schema
 * 2020-12): valid values, and values made invalid in one known way. One integer seed drives every
 * choice, so a run is replayed by running it again with the same seed.
 */

// biome-ignore lint/suspicious/noExplicitAny: a JSON Schema or JSON value of any shape, walked by its keys
export type Json = any;

/** mulberry32: small, fast, good enough to drive a fuzzer, and the same on every platform. */
export class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(0, i);
      [items[i], items[j]] = [items[j]!, items[i]!];
    }
    return items;
  }
}

const ALNUM = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/** Strings sometimes carry what breaks naive code: quotes, SQL and LIKE metacharacters, non-ASCII, emoji. */
const TRICKY = ["'", '"', "%", "_", "\\", "é", "日本", "🙂", " ", "--", ";", "<b>", "$" + "{x}", "\u00a0"];

export function randomString(rng: Rng, min: number, max: number): string {
  const length = rng.int(min, Math.max(min, max));
  const out: string[] = [];
  while (out.length < length) {
    if (rng.chance(0.08)) out.push(...rng.pick(TRICKY));
    else out.push(ALNUM[rng.int(0, ALNUM.length - 1)]!);
  }
  return out.slice(0, length).join("");
}

/** A prefixed id (`tst_` + 26 Crockford characters) that almost surely names nothing. */
function junkId(rng: Rng, prefix: string): string {
  let out = `${prefix}_`;
  for (let i = 0; i < 26; i++) out += CROCKFORD[rng.int(0, CROCKFORD.length - 1)];
  return out;
}

/** The id prefix a schema or parameter stands for: from `^tst_…` patterns or a `tst_…` example. */
export function idPrefixOf(schema: Json, example?: unknown): string | undefined {
  const fromPattern = typeof schema?.pattern === "string" ? /^\^([a-z]{2,4})_\[/.exec(schema.pattern)?.[1] : undefined;
  if (fromPattern) return fromPattern;
  const fromExample = typeof example === "string" ? /^([a-z]{2,4})_[0-9A-Z]{26}$/.exec(example)?.[1] : undefined;
  return fromExample;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, "0");
}

function randomDate(rng: Rng): string {
  return `${rng.int(2020, 2030)}-${pad(rng.int(1, 12))}-${pad(rng.int(1, 28))}`;
}

function randomDateTime(rng: Rng): string {
  return `${randomDate(rng)}T${pad(rng.int(0, 23))}:${pad(rng.int(0, 59))}:${pad(rng.int(0, 59))}.${pad(rng.int(0, 999), 3)}Z`;
}

/**
 * A string matching a simple pattern: a sequence of literals, `\d`, `[...]` classes, each optionally
 * quantified by `{n}`, `{a,b}`, `+`, `*` or `?`, between `^` and `$`. Returns undefined for anything richer.
 */
function fromPattern(rng: Rng, pattern: string): string | undefined {
  if (pattern.includes("T(?:")) return randomDateTime(rng);
  if (pattern.includes("-02-29")) return randomDate(rng);
  let src = pattern;
  if (src.startsWith("^")) src = src.slice(1);
  if (src.endsWith("$")) src = src.slice(0, -1);
  let out = "";
  let i = 0;
  while (i < src.length) {
    let chars: string[];
    const c = src[i]!;
    if (c === "[") {
      const end = src.indexOf("]", i + 1);
      if (end < 0) return undefined;
      chars = expandClass(src.slice(i + 1, end));
      i = end + 1;
    } else if (c === "\\") {
      const e = src[i + 1];
      chars = e === "d" ? [..."0123456789"] : [e!];
      i += 2;
    } else if ("()|.".includes(c)) {
      return undefined;
    } else {
      chars = [c];
      i += 1;
    }
    let min = 1;
    let max = 1;
    const q = src[i];
    if (q === "{") {
      const end = src.indexOf("}", i);
      const [a, b] = src.slice(i + 1, end).split(",");
      min = Number(a);
      max = b === undefined ? min : b === "" ? min + 8 : Number(b);
      i = end + 1;
    } else if (q === "+" || q === "*" || q === "?") {
      min = q === "+" ? 1 : 0;
      max = q === "?" ? 1 : 12;
      i += 1;
    }
    const n = rng.int(min, max);
    for (let k = 0; k < n; k++) out += rng.pick(chars);
  }
  return out;
}

function expandClass(body: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === "\\") {
      const e = body[++i]!;
      if (e === "d") out.push(..."0123456789");
      else out.push(e);
      continue;
    }
    if (body[i + 1] === "-" && i + 2 < body.length) {
      const to = body[i + 2]!;
      for (let code = c.charCodeAt(0); code <= to.charCodeAt(0); code++) out.push(String.fromCharCode(code));
      i += 2;
      continue;
    }
    out.push(c);
  }
  return out;
}

export interface GenContext {
  rng: Rng;
  /** Real ids by prefix (seeded and seen in answers), used for id-shaped values most of the time. */
  ids: Map<string, string[]>;
  /** Known good values by parameter or property name (queue names, …), used most of the time. */
  named?: Map<string, readonly string[]>;
}

/** An id from the pool for `prefix` most of the time, else a well-formed id that names nothing. */
export function idFor(ctx: GenContext, prefix: string, realShare = 0.8): string {
  const pool = ctx.ids.get(prefix);
  if (pool?.length && ctx.rng.chance(realShare)) return ctx.rng.pick(pool);
  return junkId(ctx.rng, prefix);
}

/** A value valid against `schema` (refs already inlined), as far as this generator can tell. */
export function generate(schema: Json, ctx: GenContext, depth = 0, name?: string): unknown {
  const { rng } = ctx;
  if (!schema || typeof schema !== "object" || Object.keys(schema).length === 0) return rng.pick([1, "x", true, null]);
  if ("const" in schema) return schema.const;
  if (Array.isArray(schema.enum)) return rng.pick(schema.enum);
  if ("default" in schema && rng.chance(0.1)) return schema.default;
  const branches = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(branches)) {
    // null branches are picked less often: real values exercise more of the handler.
    const nonNull = branches.filter((b: Json) => b?.type !== "null");
    return generate(rng.chance(0.85) && nonNull.length ? rng.pick(nonNull) : rng.pick(branches), ctx, depth, name);
  }
  if (Array.isArray(schema.allOf)) return generate(Object.assign({}, ...schema.allOf), ctx, depth);
  const type = Array.isArray(schema.type) ? rng.pick(schema.type) : schema.type;
  switch (type) {
    case "null":
      return null;
    case "boolean":
      return rng.chance(0.5);
    case "integer":
    case "number": {
      const min = Math.max(schema.minimum ?? (schema.exclusiveMinimum !== undefined ? schema.exclusiveMinimum + 1 : -5), -1e6);
      const max = Math.min(schema.maximum ?? (schema.exclusiveMaximum !== undefined ? schema.exclusiveMaximum - 1 : 1000), 1e6);
      const hi = rng.chance(0.7) ? Math.min(max, min + 20) : max;
      const n = rng.int(Math.ceil(min), Math.floor(Math.max(min, hi)));
      return type === "number" && rng.chance(0.3) && n < max ? n + 0.5 : n;
    }
    case "string": {
      const prefix = idPrefixOf(schema);
      if (prefix) return idFor(ctx, prefix);
      const known = name ? ctx.named?.get(name) : undefined;
      if (known?.length && rng.chance(0.8)) return rng.pick(known);
      // An unformatted field named like an email still wants one, or sign-up never gets past validation.
      if (name && /email/i.test(name) && !schema.pattern && rng.chance(0.8))
        return `fuzz.${junkId(rng, "u").slice(2).toLowerCase()}@example.com`;
      if (schema.format === "date-time") return randomDateTime(rng);
      if (schema.format === "date") return randomDate(rng);
      if (schema.format === "uri") return `https://example.com/${randomString(rng, 1, 8).replace(/[^A-Za-z0-9]/g, "x")}`;
      if (schema.format === "email") return `fuzz.${junkId(rng, "u").slice(2).toLowerCase()}@example.com`;
      if (typeof schema.pattern === "string") {
        const value = fromPattern(rng, schema.pattern);
        if (value !== undefined) return value;
      }
      const min = schema.minLength ?? 0;
      const max = schema.maxLength ?? 40;
      // Mostly short; sometimes up to the limit (capped: a 2 MB field would only test the body limit).
      return randomString(rng, min, rng.chance(0.9) ? Math.min(max, min + 24) : Math.min(max, Math.max(min, 4096)));
    }
    case "array": {
      const min = schema.minItems ?? 0;
      const max = Math.min(schema.maxItems ?? min + 3, min + 3);
      const items = Array.from({ length: rng.int(min, max) }, () => generate(schema.items ?? {}, ctx, depth + 1));
      return schema.uniqueItems ? [...new Map(items.map((v) => [JSON.stringify(v), v])).values()] : items;
    }
    default: {
      if (depth > 6) return {};
      const out: Record<string, unknown> = {};
      const required = new Set<string>(schema.required ?? []);
      for (const [name, sub] of Object.entries<Json>(schema.properties ?? {})) {
        if (required.has(name) || rng.chance(0.6)) out[name] = generate(sub, ctx, depth + 1, name);
      }
      return out;
    }
  }
}

/** A value that breaks `schema` in one way, with a word saying how; undefined when none applies. */
export function invalidate(schema: Json, ctx: GenContext): { value: unknown; how: string } | undefined {
  const { rng } = ctx;
  const options: { value: unknown; how: string }[] = [];
  const branches = schema?.anyOf ?? schema?.oneOf;
  if (Array.isArray(branches)) {
    // Invalid for every branch: a type none of them takes.
    const types = new Set(branches.map((b: Json) => b?.type));
    if (!types.has("object")) options.push({ value: { fuzz: true }, how: "an object where none is allowed" });
    if (!types.has("array")) options.push({ value: [1, 2], how: "an array where none is allowed" });
    return options.length ? rng.pick(options) : undefined;
  }
  if (Array.isArray(schema?.enum)) options.push({ value: "not_a_documented_value", how: "a value outside the enum" });
  switch (schema?.type) {
    case "string":
      options.push({ value: rng.int(-5, 5), how: "a number where a string is expected" });
      if (schema.maxLength !== undefined) options.push({ value: "x".repeat(schema.maxLength + 1), how: "a string over maxLength" });
      if (schema.minLength > 0) options.push({ value: "", how: "a string under minLength" });
      if (schema.pattern || schema.format === "date-time" || schema.format === "date")
        options.push({ value: "not matching!", how: "a string off the pattern/format" });
      break;
    case "integer":
    case "number":
      options.push({ value: "12abc", how: "a string where a number is expected" });
      if (schema.minimum !== undefined && schema.minimum > -1e15)
        options.push({ value: schema.minimum - 1, how: "a number under minimum" });
      if (schema.maximum !== undefined && schema.maximum < 1e15) options.push({ value: schema.maximum + 1, how: "a number over maximum" });
      if (schema.type === "integer") options.push({ value: 1.5, how: "a fraction where an integer is expected" });
      break;
    case "boolean":
      options.push({ value: "maybe", how: "a string where a boolean is expected" });
      break;
    case "array":
      options.push({ value: "not-an-array", how: "a string where an array is expected" });
      if (schema.maxItems !== undefined && schema.maxItems < 200) {
        options.push({
          value: Array.from({ length: schema.maxItems + 1 }, () => generate(schema.items ?? {}, ctx, 1)),
          how: "an array over maxItems",
        });
      }
      break;
    case "object": {
      options.push({ value: rng.pick([[], "text", 42]), how: "a non-object where an object is expected" });
      const required: string[] = schema.required ?? [];
      if (required.length) {
        const value = generate(schema, ctx) as Record<string, unknown>;
        const missing = rng.pick(required);
        delete value[missing];
        options.push({ value, how: `required property "${missing}" missing` });
      }
      if (schema.additionalProperties === false) {
        const value = generate(schema, ctx) as Record<string, unknown>;
        value.fuzzUnknownProperty = 1;
        options.push({ value, how: "an undocumented property" });
      }
      const props = Object.keys(schema.properties ?? {});
      if (props.length) {
        const name = rng.pick(props);
        const bad = invalidate(schema.properties[name], ctx);
        if (bad) {
          const value = generate(schema, ctx) as Record<string, unknown>;
          value[name] = bad.value;
          options.push({ value, how: `property "${name}": ${bad.how}` });
        }
      }
      break;
    }
  }
  return options.length ? rng.pick(options) : undefined;
}
