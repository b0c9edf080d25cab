import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { BRUTE_FORCE } from "../../src/lib/security/detectors/brute-force";
import { CREDENTIAL_STUFFING } from "../../src/lib/security/detectors/credential-stuffing";
import { greatCircleKm } from "../../src/lib/security/detectors/impossible-travel";
import { createUser, uniqueEmail } from "../helpers/auth";
import { sendJson } from "../helpers/http";
import { eventually, securityEventsWhere, settle, uniqueIp } from "../helpers/security";

interface Origin {
  ip: string;
  userAgent?: string;
  cf?: { latitude: string; longitude: string; country: string; city: string };
}

const LONDON = { latitude: "51.5072", longitude: "-0.1276", country: "GB", city: "London" };
const SYDNEY = { latitude: "-33.8688", longitude: "151.2093", country: "AU", city: "Sydney" };
const PARIS = { latitude: "48.8566", longitude: "2.3522", country: "FR", city: "Paris" };

/** A login through the real route, from the given address, device and edge location. */
function login(email: string, password: string, origin: Origin) {
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "CF-Connecting-IP": origin.ip,
    "User-Agent": origin.userAgent ?? "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0",
  };
  return sendJson("/v1/auth/login", "POST", { email, password }, headers).then(async (res) => {
    await res.arrayBuffer();
    return res;
  }) as Promise<Response>;
}

/** `sendJson` cannot carry `cf`; this builds the request by hand when a location is needed. */
async function loginFrom(email: string, password: string, origin: Origin): Promise<Response> {
  if (!origin.cf) return login(email, password, origin);
  const { exports } = await import("cloudflare:workers");
  const request = new Request("https://proctor.test/v1/auth/login", {
    method: "POST",
    headers: {
      "Content-Type": "application/json",
      "CF-Connecting-IP": origin.ip,
      "User-Agent": origin.userAgent ?? "Mozilla/5.0 (X11; Linux x86_64) TestBrowser/1.0",
    },
    body: JSON.stringify({ email, password }),
    cf: origin.cf,
  } as RequestInit);
  const res = await (exports as unknown as { default: Fetcher }).default.fetch(request);
  await res.arrayBuffer();
  return res;
}

describe("brute force on one account", () => {
  it(`records a HIGH event once ${BRUTE_FORCE.maxFailures} logins fail for one account, whatever the IPs`, async () => {
    const { user } = await createUser();
    for (let i = 0; i < BRUTE_FORCE.maxFailures - 1; i++) {
      expect((await login(user.email, `wrong-${i}`, { ip: uniqueIp() })).status).toBe(401);
    }
    await settle();
    expect(await securityEventsWhere({ type: "brute_force", actorId: user.id })).toHaveLength(0);

    const lastIp = uniqueIp();
    expect((await login(user.email, "wrong-last", { ip: lastIp })).status).toBe(401);
    const [event] = await eventually(async () => {
      const events = await securityEventsWhere({ type: "brute_force", actorId: user.id });
      return events.length > 0 ? events : undefined;
    });
    expect(event!.severity).toBe("HIGH");
    expect(event!.status).toBe("OPEN");
    expect(event!.ip).toBe(lastIp);
    expect(event!.details).toMatchObject({
      email: user.email,
      accountExists: true,
      failures: BRUTE_FORCE.maxFailures,
      sourceIps: BRUTE_FORCE.maxFailures,
    });
    expect(event!.requestId).toMatch(/^req_/);
  });

  it("reports an attack once per window, not once per further failure", async () => {
    const { user } = await createUser();
    for (let i = 0; i < BRUTE_FORCE.maxFailures + 3; i++) await login(user.email, `nope-${i}`, { ip: uniqueIp() });
    await eventually(async () => (await securityEventsWhere({ type: "brute_force", actorId: user.id })).length > 0);
    await settle();
    expect(await securityEventsWhere({ type: "brute_force", actorId: user.id })).toHaveLength(1);
  });

  it("is MEDIUM for an email with no account", async () => {
    const email = uniqueEmail("ghost");
    for (let i = 0; i < BRUTE_FORCE.maxFailures; i++) await login(email, `guess-${i}`, { ip: uniqueIp() });
    const event = await eventually(async () => {
      const events = await securityEventsWhere({ type: "brute_force" });
      return events.find((row) => row.details.email === email);
    });
    expect(event.severity).toBe("MEDIUM");
    expect(event.actorId).toBeNull();
    expect(event.details.accountExists).toBe(false);
  });

  it("forgets failures older than the window", async () => {
    const { user } = await createUser();
    for (let i = 0; i < BRUTE_FORCE.maxFailures - 1; i++) await login(user.email, `old-${i}`, { ip: uniqueIp() });
    await settle();
    clock.advance(BRUTE_FORCE.windowMs + 1000);
    await login(user.email, "new-1", { ip: uniqueIp() });
    await settle();
    expect(await securityEventsWhere({ type: "brute_force", actorId: user.id })).toHaveLength(0);
  });

  it("does not count the account's successful logins", async () => {
    const { user, password } = await createUser();
    for (let i = 0; i < BRUTE_FORCE.maxFailures + 1; i++) {
      expect((await login(user.email, password, { ip: uniqueIp() })).status).toBe(200);
    }
    await settle();
    expect(await securityEventsWhere({ type: "brute_force", actorId: user.id })).toHaveLength(0);
  });
});

describe("credential stuffing", () => {
  it(`records a HIGH event when ${CREDENTIAL_STUFFING.minAccounts} different accounts fail from one IP`, async () => {
    const ip = uniqueIp();
    for (let i = 0; i < CREDENTIAL_STUFFING.minAccounts - 1; i++) await login(uniqueEmail("list"), "Password123!", { ip });
    await settle();
    expect(await securityEventsWhere({ type: "credential_stuffing", ip })).toHaveLength(0);

    await login(uniqueEmail("list"), "Password123!", { ip });
    const [event] = await eventually(async () => {
      const events = await securityEventsWhere({ type: "credential_stuffing", ip });
      return events.length > 0 ? events : undefined;
    });
    expect(event!.severity).toBe("HIGH");
    expect(event!.actorId).toBeNull();
    expect(event!.details).toMatchObject({ distinctAccounts: CREDENTIAL_STUFFING.minAccounts });
  });

  it("does not fire for one account failing repeatedly from one IP (that is brute force)", async () => {
    const ip = uniqueIp();
    const email = uniqueEmail("single");
    for (let i = 0; i < CREDENTIAL_STUFFING.minAccounts + 1; i++) await login(email, `pw-${i}`, { ip });
    await settle();
    expect(await securityEventsWhere({ type: "credential_stuffing", ip })).toHaveLength(0);
  });

  it("escalates to CRITICAL for a large run, reported once per level", async () => {
    const ip = uniqueIp();
    // Written straight into the signal table: the auth rate limit (rightly) stops a real run this long.
    const now = clock.now();
    const statements = [];
    for (let i = 0; i < CREDENTIAL_STUFFING.criticalAccounts - 1; i++) {
      statements.push(
        env.DB.prepare("INSERT INTO login_failures (email_hash, user_id, ip, created_at) VALUES (?, NULL, ?, ?)").bind(
          `hash-${ip}-${i}`,
          ip,
          now,
        ),
      );
    }
    await env.DB.batch(statements);
    await login(uniqueEmail("bulk"), "x-password", { ip });
    const event = await eventually(async () =>
      (await securityEventsWhere({ type: "credential_stuffing", ip })).find((row) => row.severity === "CRITICAL"),
    );
    expect(event.details.distinctAccounts).toBe(CREDENTIAL_STUFFING.criticalAccounts);
  });
});

describe("new device or IP", () => {
  it("is quiet on an account's first login and on a familiar device and IP", async () => {
    const email = uniqueEmail("firstlogin");
    const password = "Correct-Horse-9-Battery";
    const registered = await sendJson("/v1/auth/register", "POST", { email, password, name: "First" });
    const { user } = (await registered.json()) as { user: { id: string } };
    const origin = { ip: uniqueIp(), userAgent: "Device/A" };
    expect((await login(email, password, origin)).status).toBe(200);
    expect((await login(email, password, origin)).status).toBe(200);
    await settle();
    expect(await securityEventsWhere({ type: "new_device", actorId: user.id })).toHaveLength(0);
  });

  it("records a LOW event for a new device and a new IP", async () => {
    const { user, password } = await createUser();
    const ip = uniqueIp();
    expect((await login(user.email, password, { ip, userAgent: "Brand-New-Phone/2.0" })).status).toBe(200);
    const event = await eventually(async () => (await securityEventsWhere({ type: "new_device", actorId: user.id }))[0]);
    expect(event.severity).toBe("LOW");
    expect(event.ip).toBe(ip);
    expect(event.details).toMatchObject({ newDevice: true, newIp: true });
  });

  it("is MEDIUM when the device and the country are both new", async () => {
    const email = uniqueEmail("traveller");
    const password = "Correct-Horse-9-Battery";
    await sendJson("/v1/auth/register", "POST", { email, password, name: "Traveller" });
    expect((await loginFrom(email, password, { ip: uniqueIp(), userAgent: "Laptop/1", cf: LONDON })).status).toBe(200);
    clock.advance(24 * 3600 * 1000);
    expect((await loginFrom(email, password, { ip: uniqueIp(), userAgent: "Unknown/9", cf: PARIS })).status).toBe(200);
    const userId = ((await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first()) as { id: string }).id;
    const event = await eventually(async () => (await securityEventsWhere({ type: "new_device", actorId: userId }))[0]);
    expect(event.severity).toBe("MEDIUM");
    expect(event.country).toBe("FR");
    expect(event.city).toBe("Paris");
    expect(event.details).toMatchObject({ newDevice: true, newCountry: true, previousCountries: ["GB"] });
  });
});

describe("impossible travel", () => {
  it("measures great-circle distances", () => {
    const km = greatCircleKm(51.5072, -0.1276, -33.8688, 151.2093);
    expect(km).toBeGreaterThan(16_900);
    expect(km).toBeLessThan(17_100);
    expect(greatCircleKm(10, 10, 10, 10)).toBe(0);
  });

  it("records a HIGH event for London then Sydney an hour later", async () => {
    const email = uniqueEmail("jetset");
    const password = "Correct-Horse-9-Battery";
    await sendJson("/v1/auth/register", "POST", { email, password, name: "Jet" });
    const device = "Same-Laptop/1";
    expect((await loginFrom(email, password, { ip: uniqueIp(), userAgent: device, cf: LONDON })).status).toBe(200);
    clock.advance(3600 * 1000);
    const sydneyIp = uniqueIp();
    expect((await loginFrom(email, password, { ip: sydneyIp, userAgent: device, cf: SYDNEY })).status).toBe(200);
    const userId = ((await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first()) as { id: string }).id;
    const event = await eventually(async () => (await securityEventsWhere({ type: "impossible_travel", actorId: userId }))[0]);
    expect(event.severity).toBe("HIGH");
    expect(event.ip).toBe(sydneyIp);
    expect(event.country).toBe("AU");
    expect(event.latitude).toBeCloseTo(-33.8688, 3);
    expect(event.details.distanceKm).toBeGreaterThan(16_900);
    expect(event.details.speedKmh).toBeGreaterThan(16_000);
    expect(event.details).toMatchObject({ from: { country: "GB", city: "London" }, to: { country: "AU", city: "Sydney", ip: sydneyIp } });
  });

  it("accepts the same trip when the time allows it", async () => {
    const email = uniqueEmail("slowtrip");
    const password = "Correct-Horse-9-Battery";
    await sendJson("/v1/auth/register", "POST", { email, password, name: "Slow" });
    expect((await loginFrom(email, password, { ip: uniqueIp(), cf: LONDON })).status).toBe(200);
    clock.advance(24 * 3600 * 1000);
    expect((await loginFrom(email, password, { ip: uniqueIp(), cf: SYDNEY })).status).toBe(200);
    await settle();
    const userId = ((await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first()) as { id: string }).id;
    expect(await securityEventsWhere({ type: "impossible_travel", actorId: userId })).toHaveLength(0);
  });

  it("ignores short hops that geolocation cannot tell apart", async () => {
    const email = uniqueEmail("hop");
    const password = "Correct-Horse-9-Battery";
    await sendJson("/v1/auth/register", "POST", { email, password, name: "Hop" });
    expect((await loginFrom(email, password, { ip: uniqueIp(), cf: LONDON })).status).toBe(200);
    clock.advance(60 * 1000);
    expect((await loginFrom(email, password, { ip: uniqueIp(), cf: PARIS })).status).toBe(200); // ~340 km
    await settle();
    const userId = ((await env.DB.prepare("SELECT id FROM users WHERE email = ?").bind(email).first()) as { id: string }).id;
    expect(await securityEventsWhere({ type: "impossible_travel", actorId: userId })).toHaveLength(0);
  });
});
