import { beforeAll, describe, expect, it } from "vitest";
import { clientIp, createUser, DEFAULT_TEST_PASSWORD, uniqueEmail, type TestUser } from "../helpers/auth";
import { expectDocumented } from "../helpers/contract";
import { call, sendJson } from "../helpers/http";
import { settleScoring } from "../jobs/helpers";
import { answer, createCast, createFullTest, type Cast } from "../exam/fixtures";

// Real answers of the main routes, checked against what docs/openapi.json promises for them.

let cast: Cast;
beforeAll(async () => {
  cast = await createCast();
});

const as = (user: TestUser, init: RequestInit = {}) => ({ ...init, headers: { ...user.headers, ...(init.headers as object) } });

describe("answers match the documented schemas", () => {
  it("(the check itself refuses a body or a status the document does not promise)", async () => {
    const json = { "Content-Type": "application/json" };
    await expect(expectDocumented(new Response('{"status":"fine","version":1}', { headers: json }), "GET", "/health")).rejects.toThrow(
      /status|version/,
    );
    await expect(expectDocumented(new Response("{}", { status: 418, headers: json }), "GET", "/health")).rejects.toThrow(/418/);
  });

  it("health and the contract itself", async () => {
    await expectDocumented(await call("/health"), "GET", "/health");
    await expectDocumented(await call("/health/ready"), "GET", "/health/ready");
    await expectDocumented(await call("/health/ready", as(cast.admin)), "GET", "/health/ready");
    // The contract's own routes answer bodies, so the document must say which (the fuzzer found them documented bodiless).
    await expectDocumented(await call("/openapi.json"), "GET", "/openapi.json");
    await expectDocumented(await call("/docs"), "GET", "/docs");
    await expectDocumented(await call("/docs/init.js"), "GET", "/docs/init.js");
  });

  it("accounts: register, login, csrf, me, sessions, logout", async () => {
    const email = uniqueEmail("contract");
    const registered = await sendJson(
      "/v1/auth/register",
      "POST",
      { email, password: DEFAULT_TEST_PASSWORD, name: "Contract" },
      clientIp(),
    );
    await expectDocumented(registered, "POST", "/v1/auth/register");
    await expectDocumented(
      await sendJson("/v1/auth/register", "POST", { email, password: DEFAULT_TEST_PASSWORD, name: "Again" }, clientIp()),
      "POST",
      "/v1/auth/register",
    );
    await expectDocumented(await sendJson("/v1/auth/register", "POST", { email: "nope" }, clientIp()), "POST", "/v1/auth/register");
    await expectDocumented(
      await sendJson("/v1/auth/login", "POST", { email, password: "wrong-password-1A" }, clientIp()),
      "POST",
      "/v1/auth/login",
    );
    const login = await sendJson("/v1/auth/login", "POST", { email, password: DEFAULT_TEST_PASSWORD }, clientIp());
    const { token } = (await expectDocumented(login, "POST", "/v1/auth/login")) as { token: string };
    const headers = { Authorization: `Bearer ${token}` };
    await expectDocumented(await call("/v1/auth/csrf"), "GET", "/v1/auth/csrf");
    await expectDocumented(await call("/v1/me", { headers }), "GET", "/v1/me");
    await expectDocumented(await call("/v1/me"), "GET", "/v1/me");
    await expectDocumented(await sendJson("/v1/me", "PATCH", { bio: "Hello" }, headers), "PATCH", "/v1/me");
    await expectDocumented(await call("/v1/me/sessions", { headers }), "GET", "/v1/me/sessions");
    await expectDocumented(
      await call("/v1/me/sessions/ses_01JD8X2V3K4M5N6P7Q8R9S0T1U", { method: "DELETE", headers }),
      "DELETE",
      "/v1/me/sessions/{id}",
    );
    await expectDocumented(await call("/v1/auth/logout", { method: "POST", headers }), "POST", "/v1/auth/logout");
    await expectDocumented(await call("/v1/me", { headers }), "GET", "/v1/me");
  });

  it("API keys: create, list, read, rotate, revoke", async () => {
    const user = await createUser();
    const created = (await expectDocumented(
      await sendJson("/v1/api-keys", "POST", { name: "ci", scopes: ["tests:read"] }, user.headers),
      "POST",
      "/v1/api-keys",
    )) as { id: string; key: string };
    await expectDocumented(await call("/v1/api-keys?limit=1", as(user)), "GET", "/v1/api-keys");
    await expectDocumented(await call("/v1/api-keys?limit=0", as(user)), "GET", "/v1/api-keys");
    await expectDocumented(await call(`/v1/api-keys/${created.id}`, as(user)), "GET", "/v1/api-keys/{id}");
    await expectDocumented(
      await call(`/v1/api-keys/${created.id}`, { headers: { Authorization: `Bearer ${created.key}` } }),
      "GET",
      "/v1/api-keys/{id}",
    );
    await expectDocumented(
      await call(`/v1/api-keys/${created.id}/rotate`, as(user, { method: "POST" })),
      "POST",
      "/v1/api-keys/{id}/rotate",
    );
    await expectDocumented(await call(`/v1/api-keys/${created.id}`, as(user, { method: "DELETE" })), "DELETE", "/v1/api-keys/{id}");
    await expectDocumented(
      await call(`/v1/api-keys/${created.id}/rotate`, as(user, { method: "POST" })),
      "POST",
      "/v1/api-keys/{id}/rotate",
    );
    await expectDocumented(await call(`/v1/api-keys/key_nope`, as(user)), "GET", "/v1/api-keys/{id}");
  });

  it("the exam: questions, tests, attempts, scoring, analytics, jobs", async () => {
    const { instructor, student } = cast;
    const { test, ids } = await createFullTest(instructor.headers);
    for (const id of Object.values(ids))
      await expectDocumented(await call(`/v1/questions/${id}`, as(instructor)), "GET", "/v1/questions/{id}");
    await expectDocumented(await call("/v1/questions?limit=2", as(instructor)), "GET", "/v1/questions");
    await expectDocumented(await call("/v1/questions", as(student)), "GET", "/v1/questions");
    await expectDocumented(await sendJson("/v1/questions", "POST", { type: "MCQ" }, instructor.headers), "POST", "/v1/questions");
    await expectDocumented(
      await sendJson(`/v1/questions/${ids.INTEGER}`, "PATCH", { answer: 7 }, instructor.headers),
      "PATCH",
      "/v1/questions/{id}",
    );

    await expectDocumented(await call("/v1/tests?limit=2", as(instructor)), "GET", "/v1/tests");
    await expectDocumented(await call("/v1/tests", as(student)), "GET", "/v1/tests");
    await expectDocumented(await call(`/v1/tests/${test.id}`, as(instructor)), "GET", "/v1/tests/{id}");
    await expectDocumented(await call(`/v1/tests/${test.id}`, as(student)), "GET", "/v1/tests/{id}");
    await expectDocumented(await call(`/v1/tests/tst_missing`, as(student)), "GET", "/v1/tests/{id}");

    const started = (await expectDocumented(
      await call(`/v1/tests/${test.id}/attempts`, as(student, { method: "POST" })),
      "POST",
      "/v1/tests/{id}/attempts",
    )) as { id: string };
    await expectDocumented(await call(`/v1/tests/${test.id}/attempts`, as(student, { method: "POST" })), "POST", "/v1/tests/{id}/attempts");
    await expectDocumented(await answer(student.headers, started.id, ids.MCQ, 1), "PUT", "/v1/attempts/{id}/answers/{questionId}");
    await expectDocumented(
      await answer(student.headers, started.id, ids.SUBJECTIVE, "An object stays at rest."),
      "PUT",
      "/v1/attempts/{id}/answers/{questionId}",
    );
    await expectDocumented(await answer(student.headers, started.id, ids.MCQ, "x"), "PUT", "/v1/attempts/{id}/answers/{questionId}");
    await expectDocumented(await call(`/v1/attempts/${started.id}`, as(student)), "GET", "/v1/attempts/{id}");
    const submitted = (await expectDocumented(
      await call(`/v1/attempts/${started.id}/submit`, as(student, { method: "POST" })),
      "POST",
      "/v1/attempts/{id}/submit",
    )) as {
      scoringJobId: string;
    };
    await expectDocumented(
      await call(`/v1/attempts/${started.id}/submit`, as(student, { method: "POST" })),
      "POST",
      "/v1/attempts/{id}/submit",
    );
    await settleScoring(started.id);
    await expectDocumented(await call(`/v1/jobs/${submitted.scoringJobId}`, as(student)), "GET", "/v1/jobs/{id}");
    await expectDocumented(await call(`/v1/attempts/${started.id}`, as(student)), "GET", "/v1/attempts/{id}");
    await expectDocumented(await call(`/v1/attempts/${started.id}`, as(instructor)), "GET", "/v1/attempts/{id}");
    await expectDocumented(
      await sendJson(
        `/v1/attempts/${started.id}/answers/${ids.SUBJECTIVE}/grade`,
        "PUT",
        { marks: 4, feedback: "Good." },
        instructor.headers,
      ),
      "PUT",
      "/v1/attempts/{id}/answers/{questionId}/grade",
    );
    await expectDocumented(await call("/v1/me/attempts", as(student)), "GET", "/v1/me/attempts");
    await expectDocumented(await call(`/v1/tests/${test.id}/attempts`, as(instructor)), "GET", "/v1/tests/{id}/attempts");
    await expectDocumented(await call(`/v1/tests/${test.id}/analytics`, as(instructor)), "GET", "/v1/tests/{id}/analytics");
    await expectDocumented(await call(`/v1/tests/${test.id}/analytics`, as(student)), "GET", "/v1/tests/{id}/analytics");
  });

  it("problems: unknown route methods, bad credentials, malformed bodies", async () => {
    await expectDocumented(await call("/v1/tests", { headers: { Authorization: "Bearer st_not-a-real-token" } }), "GET", "/v1/tests");
    await expectDocumented(
      await call("/v1/tests", { method: "POST", headers: { ...cast.instructor.headers, "Content-Type": "application/json" }, body: "{" }),
      "POST",
      "/v1/tests",
    );
    await expectDocumented(
      await call("/v1/tests", { method: "POST", headers: { ...cast.instructor.headers, "Content-Type": "text/plain" }, body: "x" }),
      "POST",
      "/v1/tests",
    );
    const forbidden = await sendJson("/v1/tests", "POST", { title: "x" }, cast.student.headers);
    expect(forbidden.status).toBe(403);
    await expectDocumented(forbidden, "POST", "/v1/tests");
  });
});
