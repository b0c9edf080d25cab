import { describe, expect, it } from "vitest";
import { hashPassword, needsRehash, verifyAgainstDummy, verifyPassword } from "../../src/lib/auth/password";
import {
  API_KEY_SHAPE,
  SESSION_TOKEN_SHAPE,
  base58Encode,
  newApiKeySecret,
  newSessionToken,
  sha256Hex,
  timingSafeEqual,
} from "../../src/lib/auth/tokens";

describe("password hashing", () => {
  it("hashes with PBKDF2-SHA256 at 100 000 iterations and a fresh salt each time", async () => {
    const a = await hashPassword("Same-Password-1!");
    const b = await hashPassword("Same-Password-1!");
    expect(a).toMatch(/^pbkdf2-sha256\$100000\$/);
    expect(a).not.toBe(b);
    const [, , salt, hash] = a.split("$");
    expect(atob(salt!)).toHaveLength(16);
    expect(atob(hash!)).toHaveLength(32);
  });

  it("verifies the right password and only that one", async () => {
    const stored = await hashPassword("Right-Password-1!");
    expect(await verifyPassword("Right-Password-1!", stored)).toBe(true);
    expect(await verifyPassword("Right-Password-2!", stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("reads older parameters from the stored string and flags them for rehash", async () => {
    // A hash made at 1 000 iterations (as an earlier deployment might have stored).
    const key = await crypto.subtle.importKey("raw", new TextEncoder().encode("Legacy-Pass-1!"), "PBKDF2", false, ["deriveBits"]);
    const salt = new Uint8Array(16).fill(7);
    const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: "PBKDF2", hash: "SHA-256", salt, iterations: 1000 }, key, 256));
    const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));
    const legacy = `pbkdf2-sha256$1000$${b64(salt)}$${b64(bits)}`;
    expect(await verifyPassword("Legacy-Pass-1!", legacy)).toBe(true);
    expect(needsRehash(legacy)).toBe(true);
    expect(needsRehash(await hashPassword("x"))).toBe(false);
  });

  it("treats malformed stored hashes as a mismatch, never an error", async () => {
    for (const stored of [
      "",
      "bcrypt$10$x$y",
      "pbkdf2-sha256$abc$AA==$AA==",
      "pbkdf2-sha256$999999999$AA==$AA==",
      "pbkdf2-sha256$1000$!!$AA==",
    ]) {
      expect(await verifyPassword("anything", stored)).toBe(false);
    }
  });

  it("the dummy check always fails", async () => {
    expect(await verifyAgainstDummy("whatever")).toBe(false);
  });
});

describe("tokens", () => {
  it("session tokens are st_ + 32 random bytes in base64url", () => {
    const token = newSessionToken();
    expect(token).toMatch(SESSION_TOKEN_SHAPE);
    expect(newSessionToken()).not.toBe(token);
  });

  it("API keys are pk_ + 32 random bytes in base58", () => {
    for (let i = 0; i < 50; i++) expect(newApiKeySecret()).toMatch(API_KEY_SHAPE);
  });

  it("base58 encodes known vectors", () => {
    expect(base58Encode(new TextEncoder().encode("Hello World!"))).toBe("2NEpo7TZRRrLZSi2U");
    expect(base58Encode(new Uint8Array([0, 0, 1]))).toBe("112");
  });

  it("sha256Hex matches the known digest", async () => {
    expect(await sha256Hex("abc")).toBe("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("timingSafeEqual compares content and length", () => {
    expect(timingSafeEqual("abc", "abc")).toBe(true);
    expect(timingSafeEqual("abc", "abd")).toBe(false);
    expect(timingSafeEqual("abc", "abcd")).toBe(false);
    expect(timingSafeEqual("", "")).toBe(true);
  });
});
