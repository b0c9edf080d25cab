import { describe, expect, it } from "vitest";
import { call } from "../helpers/http";

describe("request id", () => {
  it("makes one and echoes it when none is sent", async () => {
    const res = await call("/health");
    expect(res.headers.get("X-Request-Id")).toMatch(/^req_[0-9A-Z]{26}$/);
  });

  it("keeps a valid incoming id", async () => {
    const res = await call("/health", { headers: { "X-Request-Id": "client-trace-12345" } });
    expect(res.headers.get("X-Request-Id")).toBe("client-trace-12345");
  });

  it("replaces an id that could inject into logs or headers", async () => {
    const res = await call("/health", { headers: { "X-Request-Id": "bad id\twith<script>" } });
    expect(res.headers.get("X-Request-Id")).toMatch(/^req_/);
  });

  it("is echoed on error responses too", async () => {
    const res = await call("/nope", { headers: { "X-Request-Id": "trace-abcdefgh" } });
    expect(res.status).toBe(404);
    expect(res.headers.get("X-Request-Id")).toBe("trace-abcdefgh");
  });
});

describe("security headers", () => {
  it("are on every response, errors included", async () => {
    for (const path of ["/health", "/missing"]) {
      const res = await call(path);
      expect(res.headers.get("Content-Security-Policy")).toContain("frame-ancestors 'none'");
      expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
      expect(res.headers.get("Strict-Transport-Security")).toContain("max-age=63072000");
      expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
      expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
      expect(res.headers.get("X-Frame-Options")).toBe("DENY");
    }
  });
});

describe("CORS", () => {
  it("allows a configured origin with credentials", async () => {
    const res = await call("/health", {
      method: "OPTIONS",
      headers: { Origin: "http://localhost:5173", "Access-Control-Request-Method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("Access-Control-Allow-Origin")).toBe("http://localhost:5173");
    expect(res.headers.get("Access-Control-Allow-Credentials")).toBe("true");
  });

  it("does not allow an unknown origin", async () => {
    const res = await call("/health", { headers: { Origin: "https://evil.example" } });
    expect(res.headers.get("Access-Control-Allow-Origin")).toBeNull();
  });

  it("exposes the rate-limit and request-id headers to browsers", async () => {
    const res = await call("/health", { headers: { Origin: "http://localhost:5173" } });
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("RateLimit");
    expect(res.headers.get("Access-Control-Expose-Headers")).toContain("X-Request-Id");
  });
});
