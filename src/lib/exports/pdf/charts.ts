import type { Color } from "pdf-lib";
import { formatNumber, type NiceScale, niceScale, tickLabel } from "./nice-scale";
import { type Align, alignedX, type PageFlow } from "./page-flow";
import { oneLine } from "./text-runs";
import { BASELINE, BODY, BODY_WIDTH, COLORS, TYPE, lineHeightOf } from "./theme";
import type { TextStyle, Typesetter } from "./typesetter";

interface ChartPoint {
  label: string;
  value: number;
}

export interface BarChartSpec {
  title: string;
  bars: ChartPoint[];
  xLabel?: string;
  yLabel?: string;
}

export interface LineChartSpec {
  title: string;
  points: ChartPoint[];
  /** The top of the value axis (e.g. 100 for percentages); by default the largest value, rounded up. */
  yMax?: number;
  yLabel?: string;
}

const PLOT_HEIGHT = 150;
/** Room above the plot for a value label over the tallest bar or point. */
const VALUE_ROOM = 10;
const GAP = 4;
const VALUE_STYLE: TextStyle = { size: 7 };

const finite = (value: number) => (Number.isFinite(value) ? value : 0);

/** The plot area of a drawn frame, and where a value sits in it. */
interface Plot {
  left: number;
  /** The width each category gets along the x axis. */
  slot: number;
  yOf(value: number): number;
}

interface FrameSpec {
  title: string;
  xLabel?: string;
  yLabel?: string;
  categories: string[];
  scale: NiceScale;
}

/** Every how many slots a label of `labelWidth` can be drawn without touching the next one. */
const thinningStep = (labelWidth: number, slot: number) => Math.max(1, Math.ceil((labelWidth + GAP) / slot));

/** Title, value axis with grid lines, category labels (every nth when crowded) and axis captions. */
function drawFrame(flow: PageFlow, typesetter: Typesetter, spec: FrameSpec): Plot {
  const axisLine = lineHeightOf(TYPE.axis);
  const titleLine = lineHeightOf(TYPE.chartTitle);
  const height = titleLine + (spec.yLabel ? axisLine : 0) + VALUE_ROOM + PLOT_HEIGHT + GAP + axisLine + (spec.xLabel ? axisLine : 0);
  flow.ensure(height);
  const top = flow.y;
  const caption = (text: string, style: TextStyle, y: number, align: Align, color: Color) => {
    const set = typesetter.line(typesetter.fit(oneLine(text), style, BODY_WIDTH), style);
    flow.text(set, alignedX(BODY.left, BODY_WIDTH, set.width, align), y, style.size, color);
  };

  caption(spec.title, TYPE.chartTitle, top, "left", COLORS.text);
  if (spec.yLabel) caption(spec.yLabel, TYPE.axis, top + titleLine, "left", COLORS.muted);
  const plotTop = top + titleLine + (spec.yLabel ? axisLine : 0) + VALUE_ROOM;
  const plotBottom = plotTop + PLOT_HEIGHT;

  const { scale } = spec;
  const tickLabels = scale.ticks.map((tick) => typesetter.line(tickLabel(tick, scale), TYPE.axis));
  const left = BODY.left + Math.max(...tickLabels.map((set) => set.width)) + 6;
  const width = BODY.right - left;
  const yOf = (value: number) => plotBottom - ((value - scale.min) / (scale.max - scale.min)) * PLOT_HEIGHT;
  scale.ticks.forEach((tick, index) => {
    const y = yOf(tick);
    const zero = tick === 0;
    flow.draw({
      kind: "line",
      x1: left,
      y1: y,
      x2: BODY.right,
      y2: y,
      thickness: zero ? 0.8 : 0.5,
      color: zero ? COLORS.rule : COLORS.grid,
    });
    const set = tickLabels[index]!;
    // The baseline 0.35 em below the grid line centres the digits (0.7 em tall) on it.
    flow.text(set, left - 6 - set.width, y + TYPE.axis.size * (0.35 - BASELINE), TYPE.axis.size, COLORS.muted);
  });
  flow.draw({ kind: "line", x1: left, y1: plotTop, x2: left, y2: plotBottom, thickness: 0.5, color: COLORS.rule });

  const slot = width / Math.max(1, spec.categories.length);
  const labels = spec.categories.map((category) => oneLine(category));
  const widest = Math.max(0, ...labels.map((label) => Math.min(typesetter.width(label, TYPE.axis), 60)));
  const step = thinningStep(widest, slot);
  labels.forEach((label, index) => {
    if (index % step !== 0) return;
    const set = typesetter.line(typesetter.fit(label, TYPE.axis, step * slot - GAP), TYPE.axis);
    const x = Math.min(Math.max(left + (index + 0.5) * slot - set.width / 2, BODY.left), BODY.right - set.width);
    flow.text(set, x, plotBottom + GAP, TYPE.axis.size, COLORS.muted);
  });
  if (spec.xLabel) caption(spec.xLabel, TYPE.axis, plotBottom + GAP + axisLine, "center", COLORS.muted);
  if (spec.categories.length === 0) {
    const set = typesetter.line("No data", TYPE.label);
    flow.text(set, left + (width - set.width) / 2, plotTop + PLOT_HEIGHT / 2 - lineHeightOf(TYPE.label) / 2, TYPE.label.size, COLORS.muted);
  }

  flow.y = top + height;
  return { left, slot, yOf };
}

/**
 * Value labels over (or, for negative values, under) the marks at `xs`. Left out when they do not all
 * fit side by side: every other bar labelled reads as missing data, and the grid still gives the values.
 */
function drawValueLabels(flow: PageFlow, typesetter: Typesetter, plot: Plot, values: number[], xs: number[], decimals: number) {
  const labels = values.map((value) => typesetter.line(formatNumber(value, decimals), VALUE_STYLE));
  if (thinningStep(Math.max(0, ...labels.map((set) => set.width)), plot.slot) > 1) return;
  const lineHeight = lineHeightOf(VALUE_STYLE);
  labels.forEach((set, index) => {
    const value = values[index]!;
    const top = value < 0 ? plot.yOf(value) + 1 : plot.yOf(value) - lineHeight - 1;
    flow.text(set, xs[index]! - set.width / 2, top, VALUE_STYLE.size, COLORS.text);
  });
}

/** Vertical bars from zero, each with its value when the labels fit. */
export function drawBarChart(flow: PageFlow, typesetter: Typesetter, spec: BarChartSpec) {
  const values = spec.bars.map((bar) => finite(bar.value));
  const scale = niceScale(Math.min(0, ...values), Math.max(0, ...values), values.every(Number.isInteger));
  const plot = drawFrame(flow, typesetter, { ...spec, categories: spec.bars.map((bar) => bar.label), scale });
  const barWidth = Math.min(plot.slot * 0.7, 48);
  const centres = values.map((_, index) => plot.left + (index + 0.5) * plot.slot);
  values.forEach((value, index) => {
    const top = plot.yOf(Math.max(value, 0));
    const height = plot.yOf(Math.min(value, 0)) - top;
    if (height > 0) flow.draw({ kind: "rect", x: centres[index]! - barWidth / 2, y: top, width: barWidth, height, color: COLORS.accent });
  });
  drawValueLabels(flow, typesetter, plot, values, centres, 2);
}

/** Points joined in order (e.g. a score over time), each with its value. */
export function drawLineChart(flow: PageFlow, typesetter: Typesetter, spec: LineChartSpec) {
  const values = spec.points.map((point) => finite(point.value));
  const highest = Math.max(0, ...values);
  const top = spec.yMax !== undefined && Number.isFinite(spec.yMax) ? Math.max(spec.yMax, highest) : highest;
  const scale = niceScale(Math.min(0, ...values), top, values.every(Number.isInteger));
  const plot = drawFrame(flow, typesetter, { ...spec, categories: spec.points.map((point) => point.label), scale });
  const xs = values.map((_, index) => plot.left + (index + 0.5) * plot.slot);
  const ys = values.map((value) => plot.yOf(value));
  for (let i = 1; i < values.length; i++) {
    flow.draw({ kind: "line", x1: xs[i - 1]!, y1: ys[i - 1]!, x2: xs[i]!, y2: ys[i]!, thickness: 1.5, color: COLORS.accent });
  }
  const radius = Math.min(2.5, plot.slot / 4);
  xs.forEach((x, index) => {
    flow.draw({ kind: "dot", x, y: ys[index]!, radius, color: COLORS.accent });
  });
  drawValueLabels(flow, typesetter, plot, values, xs, 1);
}
