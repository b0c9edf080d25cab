/**
 * The variable parts of an error message (ids, numbers, quoted values, hex) replaced by placeholders,
 * so "User usr_01J… not found" and "User usr_01K… not found" group as one error.
 */
export function normaliseMessage(message: string): string {
  return message
    .replace(/\b[a-z]{2,5}_[0-9A-HJKMNP-TV-Z]{26}\b/g, "<id>")
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, "<uuid>")
    .replace(/\b0x[0-9a-f]+\b/gi, "<hex>")
    .replace(/\b[0-9a-f]{16,}\b/gi, "<hex>")
    .replace(/(["'`])[^"'`\n]{0,200}\1/g, "<str>")
    .replace(/\d+(?:\.\d+)?/g, "<n>")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 500);
}

/**
 * The first `at …` frame of a V8 stack, without line/column numbers or query strings, so a
 * redeploy that shifts lines does not split one error into many.
 */
export function topFrame(stack: string | null | undefined): string {
  if (!stack) return "";
  const frame = stack
    .split("\n")
    .map((line) => line.trim())
    .find((line) => line.startsWith("at "));
  if (!frame) return "";
  return frame
    .replace(/\?[^:)\s]*/g, "")
    .replace(/:\d+(?::\d+)?(?=\)?$)/, "")
    .slice(0, 300);
}

/** cyrb53: a fast, well-mixed 53-bit string hash. Grouping needs spread, not secrecy. */
function cyrb53(text: string, seed: number): number {
  let h1 = 0xdeadbeef ^ seed;
  let h2 = 0x41c6ce57 ^ seed;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ ch, 2654435761);
    h2 = Math.imul(h2 ^ ch, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

/**
 * type + normalised message + top frame → a stable 28-hex-digit group key (two independent 53-bit
 * hashes, ~106 bits). Synchronous so any writer (requests, jobs, crons) can group the same way.
 */
export function fingerprintOf(type: string, message: string, stack?: string | null): string {
  const input = `${type}\n${normaliseMessage(message)}\n${topFrame(stack)}`;
  return cyrb53(input, 1).toString(16).padStart(14, "0") + cyrb53(input, 2).toString(16).padStart(14, "0");
}
