/**
 * Cron expressions as Cloudflare's Cron Triggers read them: five fields (minute, hour, day of month,
 * month, weekday) in UTC, with `*`, lists, ranges, steps, month and weekday names, and the Quartz
 * extensions Cloudflare supports — `L`, `nW` and `LW` in the day of month, `nL` and `n#k` in the weekday.
 *
 * Weekdays count as Cloudflare (and Quartz) count them: 1 = Sunday … 7 = Saturday, not Unix cron's
 * 0–6 from Sunday — `0 8 * * 1` runs on Sundays. When both day fields are restricted, a day matching
 * either one matches (the Unix rule; Quartz forbids the combination).
 */
export interface CronExpression {
  readonly source: string;
  /** Whether the expression fires in the UTC minute that contains `at`. */
  matches(at: Date): boolean;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const WEEKDAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  name: string;
  min: number;
  max: number;
  /** Names standing for min, min + 1, … */
  names?: string[];
}

const MINUTE: FieldSpec = { name: "minute", min: 0, max: 59 };
const HOUR: FieldSpec = { name: "hour", min: 0, max: 23 };
const DAY_OF_MONTH: FieldSpec = { name: "day of month", min: 1, max: 31 };
const MONTH: FieldSpec = { name: "month", min: 1, max: 12, names: MONTHS };
const WEEKDAY: FieldSpec = { name: "weekday", min: 1, max: 7, names: WEEKDAYS };

type DayTest = (day: Date) => boolean;

class CronSyntaxError extends Error {
  constructor(source: string, reason: string) {
    super(`Invalid cron expression "${source}": ${reason}`);
    this.name = "CronSyntaxError";
  }
}

function value(token: string, spec: FieldSpec, fail: (reason: string) => never): number {
  const named = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  const number = named >= 0 ? spec.min + named : /^\d+$/.test(token) ? Number(token) : Number.NaN;
  if (!Number.isInteger(number)) fail(`"${token}" is not a ${spec.name}`);
  if (number < spec.min || number > spec.max) {
    const hint = spec === WEEKDAY && number === 0 ? " (Cloudflare counts weekdays 1–7 from Sunday)" : "";
    fail(`${spec.name} ${number} is outside ${spec.min}–${spec.max}${hint}`);
  }
  return number;
}

/** The plain part of a field: `*`, `a`, `a-b`, each with an optional `/step` (`a/step` runs to the field's max). */
function plainValues(item: string, spec: FieldSpec, fail: (reason: string) => never): number[] {
  const [range, stepText, extra] = item.split("/");
  if (extra !== undefined || range === "") fail(`"${item}" is not a ${spec.name}`);
  const step = stepText === undefined ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step < 1 || (stepText !== undefined && !/^\d+$/.test(stepText))) fail(`bad step in "${item}"`);
  let from: number;
  let to: number;
  if (range === "*") [from, to] = [spec.min, spec.max];
  else if (range!.includes("-")) {
    const [a, b, more] = range!.split("-");
    if (more !== undefined) fail(`"${item}" is not a range`);
    [from, to] = [value(a!, spec, fail), value(b!, spec, fail)];
    if (from > to) fail(`range "${range}" runs backwards`);
  } else {
    from = value(range!, spec, fail);
    to = stepText === undefined ? from : spec.max;
  }
  const values: number[] = [];
  for (let n = from; n <= to; n += step) values.push(n);
  return values;
}

function setField(text: string, spec: FieldSpec, fail: (reason: string) => never): ReadonlySet<number> {
  return new Set(text.split(",").flatMap((item) => plainValues(item, spec, fail)));
}

const lastDayOfMonth = (day: Date) => new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth() + 1, 0)).getUTCDate();
const isWeekend = (weekday: number) => weekday === 0 || weekday === 6;

/** The weekday (Monday–Friday) nearest to the `target`th of the month, without leaving the month (Quartz's `W`). */
function nearestWeekday(day: Date, target: number): number {
  const last = lastDayOfMonth(day);
  const date = Math.min(target, last);
  const weekday = new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), date)).getUTCDay();
  if (!isWeekend(weekday)) return date;
  if (weekday === 6) return date === 1 ? 3 : date - 1;
  return date === last ? date - 2 : date + 1;
}

function dayOfMonthTest(text: string, fail: (reason: string) => never): DayTest {
  const tests = text.split(",").map((item): DayTest => {
    const upper = item.toUpperCase();
    if (upper === "L") return (day) => day.getUTCDate() === lastDayOfMonth(day);
    if (upper === "LW") return (day) => day.getUTCDate() === nearestWeekday(day, lastDayOfMonth(day));
    if (upper.endsWith("W")) {
      const target = value(upper.slice(0, -1), DAY_OF_MONTH, fail);
      return (day) => day.getUTCDate() === nearestWeekday(day, target);
    }
    const dates = new Set(plainValues(item, DAY_OF_MONTH, fail));
    return (day) => dates.has(day.getUTCDate());
  });
  return (day) => tests.some((test) => test(day));
}

function weekdayTest(text: string, fail: (reason: string) => never): DayTest {
  const tests = text.split(",").map((item): DayTest => {
    const upper = item.toUpperCase();
    if (upper === "L") return (day) => day.getUTCDay() === 6; // Quartz: `L` alone is the last day of the week
    if (upper.endsWith("L")) {
      const weekday = value(upper.slice(0, -1), WEEKDAY, fail) - 1;
      return (day) => day.getUTCDay() === weekday && day.getUTCDate() + 7 > lastDayOfMonth(day);
    }
    if (upper.includes("#")) {
      const [weekdayText, nthText, extra] = upper.split("#");
      const nth = Number(nthText);
      if (extra !== undefined || !/^[1-5]$/.test(nthText ?? "")) fail(`"${item}" needs a week number 1–5 after #`);
      const weekday = value(weekdayText!, WEEKDAY, fail) - 1;
      return (day) => day.getUTCDay() === weekday && Math.ceil(day.getUTCDate() / 7) === nth;
    }
    const weekdays = new Set(plainValues(item, WEEKDAY, fail));
    return (day) => weekdays.has(day.getUTCDay() + 1);
  });
  return (day) => tests.some((test) => test(day));
}

export function parseCron(source: string): CronExpression {
  const fail = (reason: string): never => {
    throw new CronSyntaxError(source, reason);
  };
  const fields = source.trim().split(/\s+/);
  if (fields.length !== 5) fail(`expected 5 fields (minute hour day-of-month month weekday), found ${fields.length}`);
  const [minuteText, hourText, dayText, monthText, weekdayText] = fields as [string, string, string, string, string];
  const minutes = setField(minuteText, MINUTE, fail);
  const hours = setField(hourText, HOUR, fail);
  const months = setField(monthText, MONTH, fail);
  const dayOfMonth = dayOfMonthTest(dayText, fail);
  const weekday = weekdayTest(weekdayText, fail);
  // A field starting with `*` does not restrict the day (as in Unix cron, `*/2` counts as unrestricted).
  const dayRestricted = !dayText.startsWith("*");
  const weekdayRestricted = !weekdayText.startsWith("*");
  const dayMatches: DayTest =
    dayRestricted && weekdayRestricted ? (day) => dayOfMonth(day) || weekday(day) : (day) => dayOfMonth(day) && weekday(day);
  return {
    source,
    matches: (at) => minutes.has(at.getUTCMinutes()) && hours.has(at.getUTCHours()) && months.has(at.getUTCMonth() + 1) && dayMatches(at),
  };
}
