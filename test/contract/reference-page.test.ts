import { describe, expect, it } from "vitest";
import { call } from "../helpers/http";

const EXTERNAL_URL = /(?:src|href)\s*=\s*["']?(?:https?:)?\/\//i;

describe("GET /docs, the API reference page", () => {
  it("loads only from this origin: its scripts are served by the Worker", async () => {
    const res = await call("/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).not.toMatch(EXTERNAL_URL);
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((m) => m[1]!);
    expect(scripts).toEqual(["/docs/scalar.js", "/docs/init.js"]);
    for (const src of scripts) {
      const script = await call(src);
      expect(script.status, src).toBe(200);
      expect(script.headers.get("Content-Type")).toMatch(/^text\/javascript/);
      expect((await script.text()).length).toBeGreaterThan(0);
    }
  });

  it("has its own CSP, relaxed for the page but still allowing no other origin", async () => {
    const res = await call("/docs");
    const csp = res.headers.get("Content-Security-Policy")!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("connect-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    // Only keywords and schemes, never a host: nothing outside this origin can load.
    for (const directive of csp.split(";")) {
      for (const source of directive.trim().split(/\s+/).slice(1)) expect(source, directive).toMatch(/^('[\w-]+'|data:|blob:)$/);
    }
  });

  it("leaves the app's strict CSP on every other response", async () => {
    const res = await call("/openapi.json");
    expect(res.headers.get("Content-Security-Policy")).toContain("default-src 'none'");
    expect(res.headers.get("Content-Security-Policy")).not.toContain("script-src");
  });

  it("starts the renderer on /openapi.json with outside fonts and telemetry off", async () => {
    const init = await (await call("/docs/init.js")).text();
    expect(init).toContain('url: "/openapi.json"');
    expect(init).toContain("withDefaultFonts: false");
    expect(init).toContain("telemetry: false");
  });
});
