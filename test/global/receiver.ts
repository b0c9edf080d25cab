import type { IncomingMessage } from "node:http";

/** A request's body as text. */
export function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    req.on("error", reject);
  });
}

/** How long a receiver keeps an idle keep-alive connection open: longer than any test file runs. */
export const IDLE_KEEP_ALIVE_MS = 10 * 60_000;
