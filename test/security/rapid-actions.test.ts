import { describe, expect, it } from "vitest";
import { clock } from "../../src/lib/clock";
import { RAPID_ACTIONS } from "../../src/lib/security/detectors/rapid-actions";
import { createUser } from "../helpers/auth";
import { call } from "../helpers/http";
import { eventually, securityEventsWhere, settle } from "../helpers/security";

/** Moves the clock to just after the start of a fresh counting window, so a burst cannot straddle two. */
function alignToWindowStart() {
  const now = clock.now();
  clock.advance(RAPID_ACTIONS.windowMs - (now % RAPID_ACTIONS.windowMs) + 1);
}

/** One state-changing request by the user (a 404 is still an action: probing ids counts too). */
const mutate = (headers: Record<string, string>, i: number) =>
  call(`/v1/uploads/upl_${String(i).padStart(26, "0")}`, { method: "DELETE", headers }).then((res) => res.arrayBuffer());

describe("rapid actions by one actor", () => {
  it(`records one MEDIUM event when ${RAPID_ACTIONS.limit} state changes land in one window`, async () => {
    const { user, headers } = await createUser();
    alignToWindowStart();
    for (let i = 0; i < RAPID_ACTIONS.limit - 1; i++) await mutate(headers, i);
    await settle();
    expect(await securityEventsWhere({ type: "rapid_actions", actorId: user.id })).toHaveLength(0);

    await Promise.all(Array.from({ length: 10 }, (_, i) => mutate(headers, 100 + i)));
    const event = await eventually(async () => (await securityEventsWhere({ type: "rapid_actions", actorId: user.id }))[0]);
    expect(event.severity).toBe("MEDIUM");
    expect(event.details).toMatchObject({ actions: RAPID_ACTIONS.limit, windowSeconds: RAPID_ACTIONS.windowMs / 1000 });
    await settle();
    expect(await securityEventsWhere({ type: "rapid_actions", actorId: user.id })).toHaveLength(1);
  });

  it("does not count reads", async () => {
    const { user, headers } = await createUser();
    alignToWindowStart();
    for (let i = 0; i < RAPID_ACTIONS.limit + 5; i++) await call("/v1/me", { headers }).then((res) => res.arrayBuffer());
    await settle();
    expect(await securityEventsWhere({ type: "rapid_actions", actorId: user.id })).toHaveLength(0);
  });

  it("starts counting afresh in the next window", async () => {
    const { user, headers } = await createUser();
    alignToWindowStart();
    for (let i = 0; i < RAPID_ACTIONS.limit - 1; i++) await mutate(headers, i);
    clock.advance(RAPID_ACTIONS.windowMs);
    for (let i = 0; i < RAPID_ACTIONS.limit - 1; i++) await mutate(headers, i);
    await settle();
    expect(await securityEventsWhere({ type: "rapid_actions", actorId: user.id })).toHaveLength(0);
  });
});
