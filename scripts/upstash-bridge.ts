import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer, type IncomingMessage, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import IORedis from "ioredis";

/**
 * A real `redis-server` behind a small HTTP bridge that speaks the Upstash REST protocol, so the
 * Upstash backend (`@upstash/redis`, `@upstash/ratelimit`) runs for real in tests and the bench:
 *
 * - `POST /` with a JSON array command (`["SET","k","v"]`) → `{ result }` or, on a Redis error,
 *   HTTP 400 `{ error }` (the client retries EVALSHA as EVAL on `NOSCRIPT`).
 * - `POST /pipeline` and `POST /multi-exec` with an array of commands → an array of `{ result }` /
 *   `{ error }`; multi-exec runs them in one MULTI/EXEC transaction.
 * - `Authorization: Bearer <token>` is required (401 otherwise).
 * - `Upstash-Encoding: base64` (the client's default) base64-encodes every string in the result
 *   except the status reply `OK`, as Upstash does.
 * - Script shebang flags that only Upstash knows (`#!lua flags=allow-key-locking`, used by
 *   `@upstash/ratelimit`) are dropped before the script reaches Redis 7, and EVALSHA with the
 *   client's hash of the original script is mapped to the hash of the one Redis holds.
 */
export interface UpstashBridge {
  url: string;
  token: string;
  redisPort: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Starts `redis-server` on `port` with no persistence, in a throwaway directory. */
export async function startRedis(port: number): Promise<{ stop(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), "proctor-redis-"));
  const child: ChildProcess = spawn(
    "redis-server",
    ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir],
    { stdio: "ignore" },
  );
  // Never outlive the process that started it, even when that process exits without teardown.
  const killChild = () => child.kill("SIGKILL");
  process.once("exit", killChild);
  const spawnFailure = new Promise<never>((_, reject) =>
    child.once("error", (error) => reject(new Error(`redis-server: ${error.message}`))),
  );
  const probe = new IORedis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined); // connection refused while redis starts: expected, retried below
  const deadline = Date.now() + 10_000;
  try {
    for (;;) {
      try {
        await Promise.race([probe.connect().then(() => probe.ping()), spawnFailure]);
        break;
      } catch (error) {
        if (Date.now() > deadline || (error instanceof Error && error.message.startsWith("redis-server:"))) throw error;
        probe.disconnect();
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  } catch (error) {
    killChild();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  } finally {
    probe.disconnect();
  }
  return {
    async stop() {
      process.off("exit", killChild);
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

type Encoded = string | number | null | Encoded[];

/** A Redis reply as Upstash returns it (bulk strings as base64 when asked). */
function encode(value: unknown, base64: boolean): Encoded {
  if (value === null || value === undefined) return null;
  if (typeof value === "number") return value;
  if (Array.isArray(value)) return value.map((item) => encode(item, base64));
  const buffer = Buffer.isBuffer(value) ? value : Buffer.from(String(value));
  const text = buffer.toString("utf8");
  if (!base64 || text === "OK") return text;
  return buffer.toString("base64");
}

function readJson(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch (error) {
        reject(error);
      }
    });
    req.on("error", reject);
  });
}

type Command = [string, ...(string | number)[]];

function isCommand(value: unknown): value is Command {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    typeof value[0] === "string" &&
    value.every((part) => typeof part === "string" || typeof part === "number")
  );
}

const UPSTASH_ONLY_FLAGS = new Set(["allow-key-locking"]);
const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");

/** Rewrites EVAL / EVALSHA / SCRIPT LOAD so Upstash-flavoured scripts run on stock Redis. */
class ScriptTranslator {
  private readonly shas = new Map<string, string>();

  private strip(script: string): string {
    const match = /^#!lua flags=([^\n]*)\n/.exec(script);
    if (!match) return script;
    const flags = match[1]!
      .split(",")
      .map((flag) => flag.trim())
      .filter((flag) => flag && !UPSTASH_ONLY_FLAGS.has(flag));
    const rewritten = (flags.length ? `#!lua flags=${flags.join(",")}\n` : "#!lua\n") + script.slice(match[0].length);
    if (rewritten !== script) this.shas.set(sha1(script), sha1(rewritten));
    return rewritten;
  }

  translate(command: Command): Command {
    const [name, ...args] = command;
    const upper = name.toUpperCase();
    if ((upper === "EVAL" || upper === "EVAL_RO") && typeof args[0] === "string") return [name, this.strip(args[0]), ...args.slice(1)];
    if ((upper === "EVALSHA" || upper === "EVALSHA_RO") && typeof args[0] === "string") {
      return [name, this.shas.get(args[0].toLowerCase()) ?? args[0], ...args.slice(1)];
    }
    if (upper === "SCRIPT" && String(args[0]).toUpperCase() === "LOAD" && typeof args[1] === "string") {
      return [name, args[0]!, this.strip(args[1])];
    }
    return command;
  }

  /** SCRIPT LOAD answers the hash of what Redis stored; the client expects the hash of what it sent. */
  originalSha(command: Command, result: unknown): unknown {
    if (command[0].toUpperCase() === "SCRIPT" && String(command[1]).toUpperCase() === "LOAD" && typeof command[2] === "string") {
      return sha1(command[2]);
    }
    return result;
  }
}

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** Starts the HTTP bridge in front of the Redis on `redisPort`. */
export async function startBridge(redisPort: number, token: string, port = 0): Promise<{ url: string; stop(): Promise<void> }> {
  const redis = new IORedis({ port: redisPort, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  redis.on("error", (error: Error) => console.error(`[upstash-bridge] redis: ${error.message}`));
  const scripts = new ScriptTranslator();
  const server: Server = createHttpServer(async (req, res) => {
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { "Content-Type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { error: "Unauthorized" });
    if (req.method !== "POST") return send(405, { error: "Method not allowed" });
    const base64 = String(req.headers["upstash-encoding"] ?? "").toLowerCase() === "base64";
    let body: unknown;
    try {
      body = await readJson(req);
    } catch {
      return send(400, { error: "ERR failed to parse command" });
    }
    const path = new URL(req.url ?? "/", "http://bridge").pathname.replace(/\/+$/, "") || "/";

    if (path === "/") {
      if (!isCommand(body)) return send(400, { error: "ERR failed to parse command" });
      const [name, ...args] = scripts.translate(body);
      try {
        return send(200, { result: encode(scripts.originalSha(body, await redis.callBuffer(name, ...args)), base64) });
      } catch (error) {
        return send(400, { error: errorText(error) });
      }
    }

    if (path === "/pipeline" || path === "/multi-exec") {
      if (!Array.isArray(body) || body.length === 0 || !body.every(isCommand)) return send(400, { error: "ERR failed to parse pipeline" });
      const batch = path === "/multi-exec" ? redis.multi() : redis.pipeline();
      for (const command of body) {
        const [name, ...args] = scripts.translate(command);
        batch.callBuffer(name, ...args);
      }
      try {
        const replies = (await batch.exec()) ?? [];
        return send(
          200,
          replies.map(([error, result], i) =>
            error ? { error: errorText(error) } : { result: encode(scripts.originalSha(body[i]!, result), base64) },
          ),
        );
      } catch (error) {
        // A MULTI/EXEC aborted as a whole (e.g. a command rejected at queue time).
        return send(400, { error: errorText(error) });
      }
    }

    return send(404, { error: "Not found" });
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  const boundPort = typeof address === "object" && address ? address.port : port;
  return {
    url: `http://127.0.0.1:${boundPort}`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      redis.disconnect();
    },
  };
}

/** Redis on a free port plus the bridge in front of it: what tests and the bench start. */
export async function startUpstashBridge(
  options: { bridgePort?: number; redisPort?: number; token?: string } = {},
): Promise<UpstashBridge> {
  const redisPort = options.redisPort ?? (await freePort());
  const token = options.token ?? `local-${crypto.randomUUID()}`;
  const redis = await startRedis(redisPort);
  const bridge = await startBridge(redisPort, token, options.bridgePort ?? 0);
  return {
    url: bridge.url,
    token,
    redisPort,
    async stop() {
      await bridge.stop();
      await redis.stop();
    },
  };
}
