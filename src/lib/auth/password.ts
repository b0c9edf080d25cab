import { base64Decode, base64Encode, randomBytes, timingSafeEqualBytes } from "./tokens";
import { awaitShared } from "../await-shared";

/**
 * Password hashing with PBKDF2-SHA256 through WebCrypto. 100 000 iterations is the most the Workers
 * runtime allows. The stored form names its parameters (`pbkdf2-sha256$<iterations>$<salt>$<hash>`,
 * base64), so raising them later only needs `needsRehash` at the next successful login.
 */
const PASSWORD_ALGORITHM = "pbkdf2-sha256";
const PASSWORD_ITERATIONS = 100_000;
const SALT_BYTES = 16;
const HASH_BITS = 256;

const encoder = new TextEncoder();

async function derive(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(password), "PBKDF2", false, ["deriveBits"]);
  const bits = await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations }, key, HASH_BITS);
  return new Uint8Array(bits);
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const hash = await derive(password, salt, PASSWORD_ITERATIONS);
  return `${PASSWORD_ALGORITHM}$${PASSWORD_ITERATIONS}$${base64Encode(salt)}$${base64Encode(hash)}`;
}

interface ParsedHash {
  iterations: number;
  salt: Uint8Array;
  hash: Uint8Array;
}

function parse(stored: string): ParsedHash | null {
  const [algorithm, iterations, salt, hash, ...rest] = stored.split("$");
  if (algorithm !== PASSWORD_ALGORITHM || rest.length > 0 || !salt || !hash) return null;
  const rounds = Number(iterations);
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > PASSWORD_ITERATIONS) return null;
  try {
    return { iterations: rounds, salt: base64Decode(salt), hash: base64Decode(hash) };
  } catch {
    return null;
  }
}

/** True when `password` matches the stored hash; the final comparison is constant-time. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parse(stored);
  if (!parsed) return false;
  const candidate = await derive(password, parsed.salt, parsed.iterations);
  return timingSafeEqualBytes(candidate, parsed.hash);
}

/** A stored hash made with weaker parameters than today's, to be replaced after the next good login. */
export function needsRehash(stored: string): boolean {
  const parsed = parse(stored);
  return !parsed || parsed.iterations < PASSWORD_ITERATIONS;
}

let dummyHash: Promise<string> | undefined;

/**
 * Spends the same work as a real check when there is no user to check against, so "unknown email"
 * and "wrong password" take about the same time. The result is always false.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
  dummyHash ??= hashPassword(base64Encode(randomBytes(24)));
  await verifyPassword(password, await awaitShared(dummyHash));
  return false;
}
