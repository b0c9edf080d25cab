/** One point of a chart: an instant and a value (null where nothing was measured). */
export interface ChartPoint {
  t: string;
  v: number | null;
}

const WIDTH = 600;
const HEIGHT = 160;
/** Room on the left for the top value's label ("1000 ms", "12.5%") at the tick's font size. */
const PAD = { left: 60, right: 8, top: 10, bottom: 22 };

function niceCeiling(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const step = [1, 2, 2.5, 5, 10].find((s) => s * magnitude >= value) ?? 10;
  return step * magnitude;
}

/**
 * A line chart drawn on the server as SVG: no script, no library, nothing for the CSP to allow.
 * Gaps (null values) break the line. The figure's text says the same as the line, for screen readers.
 */
export function LineChart({ title, points, format }: { title: string; points: ChartPoint[]; format: (value: number) => string }) {
  const values = points.map((point) => point.v).filter((v): v is number => v !== null);
  const top = niceCeiling(Math.max(0, ...values));
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const x = (index: number) => PAD.left + (points.length <= 1 ? 0 : (index / (points.length - 1)) * plotWidth);
  const y = (value: number) => PAD.top + plotHeight - (value / top) * plotHeight;

  let path = "";
  let drawing = false;
  points.forEach((point, index) => {
    if (point.v === null) {
      drawing = false;
      return;
    }
    path += `${drawing ? "L" : "M"}${x(index).toFixed(1)},${y(point.v).toFixed(1)}`;
    drawing = true;
  });

  const latest = values.at(-1);
  const summary =
    values.length === 0
      ? "No data in this period."
      : `Latest ${format(latest ?? 0)}, highest ${format(Math.max(...values))}, over ${points.length} intervals.`;
  const first = points[0]?.t;
  const last = points.at(-1)?.t;

  return (
    <figure class="chart">
      <figcaption>
        <strong>{title}</strong> <span class="muted">{summary}</span>
      </figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}. ${summary}`}>
        <line class="axis" x1={PAD.left} y1={PAD.top + plotHeight} x2={WIDTH - PAD.right} y2={PAD.top + plotHeight} />
        <line class="grid" x1={PAD.left} y1={PAD.top} x2={WIDTH - PAD.right} y2={PAD.top} />
        <text class="tick" x={PAD.left - 6} y={PAD.top + 4} text-anchor="end">
          {format(top)}
        </text>
        <text class="tick" x={PAD.left - 6} y={PAD.top + plotHeight} text-anchor="end">
          {format(0)}
        </text>
        {first && (
          <text class="tick" x={PAD.left} y={HEIGHT - 4}>
            {first.slice(5, 16).replace("T", " ")}
          </text>
        )}
        {last && (
          <text class="tick" x={WIDTH - PAD.right} y={HEIGHT - 4} text-anchor="end">
            {last.slice(5, 16).replace("T", " ")}
          </text>
        )}
        <path class="line" d={path} />
      </svg>
    </figure>
  );
}
