import type { Context } from "hono";
import type { UserLogin } from "../../../db/schema";
import type { AppEnv } from "../../../env";
import { iso } from "../../clock";
import { eventStatements } from "../../events/emit";
import { writeSecurityEvent } from "../events";

/** The sign-in being judged, in the shape of a user_logins row. */
export type LoginSighting = Pick<UserLogin, "ip" | "userAgentHash" | "country" | "city" | "latitude" | "longitude" | "createdAt">;

/**
 * A login from a device (User-Agent) or an IP the account has not used in its recent logins. The
 * first login of an account is not news. LOW on its own; MEDIUM when the device and the country are
 * both new, the common shape of an account takeover.
 */
export async function detectNewDevice(
  c: Context<AppEnv>,
  input: { userId: string; current: LoginSighting; previous: LoginSighting[] },
): Promise<boolean> {
  const { current, previous } = input;
  if (previous.length === 0) return false;
  const newDevice = current.userAgentHash !== null && !previous.some((login) => login.userAgentHash === current.userAgentHash);
  const newIp = current.ip !== null && !previous.some((login) => login.ip === current.ip);
  if (!newDevice && !newIp) return false;
  const knownCountries = new Set(previous.map((login) => login.country).filter((country) => country !== null));
  const newCountry = current.country !== null && knownCountries.size > 0 && !knownCountries.has(current.country);
  await writeSecurityEvent(c, {
    type: "new_device",
    severity: newDevice && newCountry ? "MEDIUM" : "LOW",
    actorId: input.userId,
    details: {
      newDevice,
      newIp,
      newCountry,
      previousCountries: [...knownCountries].slice(0, 10),
      loginsCompared: previous.length,
    },
  });
  // The account's owner hears of it too (the email subscriber mails a "new sign-in" notice).
  const db = c.var.db;
  const signedIn = eventStatements(db, input.userId, {
    type: "user.new_device_sign_in",
    aggregateId: input.userId,
    data: {
      userId: input.userId,
      signedInAt: iso(current.createdAt),
      ip: current.ip,
      userAgent: c.var.requestContext.userAgent?.slice(0, 300) ?? null,
      country: current.country,
      city: current.city,
      newDevice,
      newCountry,
    },
  });
  await db.batch(signedIn.statements);
  await signedIn.send(c.env);
  return true;
}
