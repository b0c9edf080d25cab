/** `2026-12-03 14:05` in the reader's time zone (UTC when the zone is unknown). */
export function formatDateTime(epochMs: number, timeZone = "UTC"): string {
  const options: Intl.DateTimeFormatOptions = {
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    hour: "2-digit",
    minute: "2-digit",
    hourCycle: "h23",
  };
  let parts: Intl.DateTimeFormatPart[];
  try {
    parts = new Intl.DateTimeFormat("en-CA", { ...options, timeZone }).formatToParts(epochMs);
  } catch {
    parts = new Intl.DateTimeFormat("en-CA", { ...options, timeZone: "UTC" }).formatToParts(epochMs);
  }
  const part = (type: string) => parts.find((p) => p.type === type)?.value ?? "";
  return `${part("year")}-${part("month")}-${part("day")} ${part("hour")}:${part("minute")}`;
}

/** `1 h 04 min`, `12 min 30 s`, `45 s`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s >= 3600) return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")} min`;
  if (s >= 60) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s`;
  return `${s} s`;
}

/** 0.8123 → "81.2%"; null → "—". */
export const percent = (fraction: number | null | undefined, places = 1) =>
  fraction === null || fraction === undefined || !Number.isFinite(fraction) ? "—" : `${(fraction * 100).toFixed(places)}%`;

/** A score without float noise: 12.5, 40, -1.25. */
export const score = (value: number | null | undefined) =>
  value === null || value === undefined ? "—" : String(Math.round(value * 100) / 100);
