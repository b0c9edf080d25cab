import type { Context } from "hono";
import type { AppEnv } from "../../../env";
import { writeSecurityEvent } from "../events";
import type { LoginSighting } from "./new-device";

/**
 * Faster than an airliner is impossible travel. Geolocation of an IP is only city-accurate, so hops
 * shorter than `minDistanceKm` are never judged (a VPN exit one region over is not an attack).
 */
const IMPOSSIBLE_TRAVEL = { maxSpeedKmh: 1000, minDistanceKm: 500 } as const;

const EARTH_RADIUS_KM = 6371.0088;

/** Great-circle distance (haversine) between two points given in degrees. */
export function greatCircleKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

/**
 * Two consecutive logins of one account further apart than `maxSpeedKmh` allows in the time between
 * them (coordinates from `request.cf`). Compared with the latest earlier login that has coordinates.
 * HIGH: one of the two sessions is very likely not the account's owner.
 */
export async function detectImpossibleTravel(
  c: Context<AppEnv>,
  input: { userId: string; current: LoginSighting; previous: LoginSighting[] },
): Promise<boolean> {
  const { current } = input;
  if (current.latitude === null || current.longitude === null) return false;
  const last = input.previous.find((login) => login.latitude !== null && login.longitude !== null);
  if (!last) return false;
  const distanceKm = greatCircleKm(last.latitude!, last.longitude!, current.latitude, current.longitude);
  if (distanceKm < IMPOSSIBLE_TRAVEL.minDistanceKm) return false;
  const hours = Math.max(current.createdAt - last.createdAt, 1000) / 3_600_000;
  const speedKmh = distanceKm / hours;
  if (speedKmh <= IMPOSSIBLE_TRAVEL.maxSpeedKmh) return false;
  await writeSecurityEvent(c, {
    type: "impossible_travel",
    severity: "HIGH",
    actorId: input.userId,
    details: {
      distanceKm: Math.round(distanceKm),
      elapsedMinutes: Math.round((current.createdAt - last.createdAt) / 60_000),
      speedKmh: Math.round(speedKmh),
      from: { ip: last.ip, country: last.country, city: last.city, at: new Date(last.createdAt).toISOString() },
      to: { ip: current.ip, country: current.country, city: current.city },
    },
  });
  return true;
}
