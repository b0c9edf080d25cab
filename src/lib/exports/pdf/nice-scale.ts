/** A value axis: from `min` to `max` in ticks of `step`, all "nice" numbers (1, 2 or 5 × 10ⁿ). */
export interface NiceScale {
  min: number;
  max: number;
  step: number;
  ticks: number[];
}

/** The nice number near `value`: rounded to the closest, or else the next one up. */
function niceNumber(value: number, round: boolean): number {
  const exponent = Math.floor(Math.log10(value));
  const fraction = value / 10 ** exponent;
  const limits = round ? [1.5, 3, 7] : [1, 2, 5];
  const index = limits.findIndex((limit) => (round ? fraction < limit : fraction <= limit));
  const nice = index === -1 ? 10 : [1, 2, 5][index]!;
  return nice * 10 ** exponent;
}

/** Decimal places a tick label needs at this step. */
const decimalsOf = (step: number) => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));

const MAX_TICKS = 6;

/**
 * An axis spanning [low, high] with at most about six ticks (Heckbert's nice labels); an empty span
 * becomes [low, low + 1]. Whole-number data (counts) gets whole-number steps.
 */
export function niceScale(low: number, high: number, wholeSteps = false): NiceScale {
  const top = high > low ? high : low + 1;
  const niceStep = niceNumber(niceNumber(top - low, false) / (MAX_TICKS - 1), true);
  const step = wholeSteps ? Math.max(1, niceStep) : niceStep;
  const decimals = decimalsOf(step);
  const snap = (value: number) => Number(value.toFixed(decimals));
  const min = snap(Math.floor(low / step) * step);
  const max = snap(Math.ceil(top / step) * step);
  const ticks: number[] = [];
  for (let i = 0; min + i * step <= max + step / 2; i++) ticks.push(snap(min + i * step));
  return { min, max, step, ticks };
}

const formatters = new Map<string, Intl.NumberFormat>();

/** A number with thousands separators and at most `decimals` places (exactly that many when `fixed`). */
export function formatNumber(value: number, decimals: number, fixed = false): string {
  const key = `${decimals}${fixed ? "fixed" : ""}`;
  let format = formatters.get(key);
  if (!format) {
    format = new Intl.NumberFormat("en-US", { maximumFractionDigits: decimals, minimumFractionDigits: fixed ? decimals : 0 });
    formatters.set(key, format);
  }
  return format.format(value);
}

/** A tick's label, with as many decimals as the step needs (0, 0.5, 1.0 … as 0.0, 0.5, 1.0). */
export const tickLabel = (value: number, scale: NiceScale) => formatNumber(value, decimalsOf(scale.step), true);
