import { describe, expect, it } from "vitest";
import { findInputProbes } from "../../src/lib/security/detectors/input-probes";
import { call } from "../helpers/http";
import { eventually, securityEventsWhere, settle, uniqueIp } from "../helpers/security";

/**
 * These cases once ran super-linearly (a hang or a stack overflow). The bound only catches such a
 * blow-up, far above the linear cost even on a loaded machine; the real figures are in `npm run bench`.
 */
const HANG_GUARD_MS = 10_000;

const q = (value: string) => ({ query: { q: [value] } });

describe("probe signatures", () => {
  const xss: string[] = [
    "<script>alert(1)</script>",
    "<ScRiPt src=//evil.example/x.js>",
    '"><img src=x onerror=alert(document.domain)>',
    "<svg/onload=alert(1)>",
    "<body onload=alert('xss')>",
    "javascript:alert(1)",
    "JaVaScRiPt :alert(1)",
    "<iframe src=//evil.example>",
    "%3Cscript%3Ealert(1)%3C%2Fscript%3E",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    "';document.cookie='",
    "<details open ontoggle=prompt(1)>",
  ];
  it.each(xss)("flags XSS: %s", (value) => {
    expect(findInputProbes(q(value)).map((f) => f.type)).toContain("xss_attempt");
  });

  const sqli: string[] = [
    "' OR '1'='1",
    "' or 1=1--",
    "admin'--",
    "admin' #",
    "1 OR 1=1",
    "1' UNION SELECT username, password FROM users--",
    "0 union all select null,null,@@version",
    "x' UNION/**/SELECT 1,2,3",
    "'; DROP TABLE users; --",
    "1) AND SLEEP(5)",
    "1'; WAITFOR DELAY '0:0:5'--",
    "1 and (select 1 from information_schema.tables)",
    "' AND 1=(SELECT COUNT(*) FROM sqlite_master)--",
    "%27%20OR%20%271%27%3D%271",
  ];
  it.each(sqli)("flags SQL injection: %s", (value) => {
    expect(findInputProbes(q(value)).map((f) => f.type)).toContain("sql_injection_attempt");
  });

  const benign: string[] = [
    "O'Reilly",
    "It's 5 o'clock and we're late",
    "Select the correct answer from the options below",
    "The union of sets A and B",
    "x >= 1 and y = 1",
    "Which statement about JavaScript closures is true?",
    "The script of the play has three acts",
    "SELECT name FROM students WHERE grade > 90",
    "Prove that 1 + 1 = 2 or find a counterexample",
    "<p>Water is <b>H<sub>2</sub>O</b></p>",
    '<img src="https://cdn.example.com/q1.png" alt="diagram">',
    "What is the output of print('hello')?",
    "Compute f(x) = x^2 - 1 for x in {1, 2, 3}",
    "Use the -- flag to end options",
    "C# and F# are .NET languages",
    "He said 'no' -- and left the room",
    "mailto:teacher@example.com",
    "café – naïve – déjà vu",
    "100% of 5 = 5",
    "a=1&b=2",
    "Don't confuse 'or' with 'and'",
  ];
  it.each(benign)("leaves benign text alone: %s", (value) => {
    expect(findInputProbes(q(value))).toEqual([]);
  });

  it("looks into nested JSON bodies and reports where", () => {
    const findings = findInputProbes({ query: {}, body: JSON.stringify({ question: { options: ["a", "<script>alert(1)</script>"] } }) });
    expect(findings).toEqual([expect.objectContaining({ type: "xss_attempt", rule: "script_tag", location: "body.question.options.1" })]);
  });

  it("looks at JSON keys too", () => {
    const findings = findInputProbes({ query: {}, body: JSON.stringify({ "' OR '1'='1": 1 }) });
    expect(findings.map((f) => f.type)).toEqual(["sql_injection_attempt"]);
  });

  it("scans an unparsable body as text", () => {
    expect(findInputProbes({ query: {}, body: "{ broken <script>alert(1)</script>" }).map((f) => f.type)).toEqual(["xss_attempt"]);
  });

  it("never inspects (or copies) secret fields such as passwords", () => {
    expect(findInputProbes({ query: {}, body: JSON.stringify({ email: "a@b.test", password: "' OR '1'='1" }) })).toEqual([]);
    expect(findInputProbes({ query: { token: ["' or 1=1--"] } })).toEqual([]);
  });

  it("reports both kinds in one request, once each", () => {
    const findings = findInputProbes({ query: { a: ["<script>x</script>", "<script>y</script>"], b: ["' or 1=1--"] } });
    expect(findings.map((f) => f.type).sort()).toEqual(["sql_injection_attempt", "xss_attempt"]);
  });

  it("does not blow up on hostile input", () => {
    const started = performance.now();
    findInputProbes({ query: { q: ["<a" + " x".repeat(100_000)] }, body: JSON.stringify({ a: "'".repeat(200_000) + " or" }) });
    // Whitespace after UNION once fed a nested quantifier: this value used to hang the scan.
    findInputProbes({ query: { q: ["1 union" + " ".repeat(3000) + "x", "' union all" + " /**/".repeat(600) + "x"] } });
    expect(performance.now() - started).toBeLessThan(HANG_GUARD_MS);
  });
});

describe("probe recording through the API", () => {
  it("records a probe in the query string without changing the answer", async () => {
    const ip = uniqueIp();
    const res = await call(`/health?q=${encodeURIComponent("<script>alert(1)</script>")}`, { headers: { "CF-Connecting-IP": ip } });
    expect(res.status).toBe(200);
    const event = await eventually(async () => (await securityEventsWhere({ type: "xss_attempt", ip }))[0]);
    expect(event.severity).toBe("MEDIUM");
    expect(event.details).toMatchObject({ rule: "script_tag", location: "query.q", method: "GET", path: "/health" });
    expect(String(event.details.sample)).toContain("<script>");
  });

  it("records a probe in a JSON body, even when the request is refused", async () => {
    const ip = uniqueIp();
    const res = await call("/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": ip },
      body: JSON.stringify({ email: "x' OR '1'='1", password: "whatever" }),
    });
    expect(res.status).toBe(401);
    const event = await eventually(async () => (await securityEventsWhere({ type: "sql_injection_attempt", ip }))[0]);
    expect(event.details).toMatchObject({ location: "body.email", path: "/v1/auth/login" });
  });

  it("keeps the route's own body parsing working after inspection", async () => {
    const ip = uniqueIp();
    const res = await call("/v1/auth/login", {
      method: "POST",
      headers: { "Content-Type": "application/json", "CF-Connecting-IP": ip },
      body: JSON.stringify({ email: "nobody@example.test", password: "wrong-password" }),
    });
    expect(res.status).toBe(401);
  });

  it("does not record clean requests", async () => {
    const ip = uniqueIp();
    await call("/health?q=Which%20of%20these%20is%20prime%3F", { headers: { "CF-Connecting-IP": ip } });
    await settle();
    expect(await securityEventsWhere({ ip })).toEqual([]);
  });

  it("records a scanner's burst once per type and IP, not once per request", async () => {
    const ip = uniqueIp();
    for (let i = 0; i < 5; i++) {
      await call(`/health?id=${encodeURIComponent(`${i}' OR '1'='1`)}`, { headers: { "CF-Connecting-IP": ip } });
    }
    await eventually(async () => (await securityEventsWhere({ type: "sql_injection_attempt", ip })).length > 0);
    await settle();
    expect(await securityEventsWhere({ type: "sql_injection_attempt", ip })).toHaveLength(1);
  });
});
