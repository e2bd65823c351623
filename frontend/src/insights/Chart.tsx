// A time-series chart on uPlot (a small, maintained canvas charting library): lines or bars over a shared
// time axis, sized to its container (redrawn when the container resizes). Data are plain arrays so the
// page's model stays testable without a canvas.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  color: string;
  /** Draw as bars (throughput) instead of a line. */
  bars?: boolean;
}

export function TimeChart({
  times,
  series,
  height = 190,
  format = (v) => String(v),
  testid,
  step = 'hour',
}: {
  /** Seconds since the epoch, one per point. */
  times: number[];
  series: ChartSeries[];
  height?: number;
  format?: (v: number) => string;
  testid?: string;
  step?: 'hour' | 'day';
}) {
  const box = useRef<HTMLDivElement>(null);
  const key = JSON.stringify([times, series.map((s) => [s.label, s.values, s.bars])]);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const bars = uPlot.paths.bars!({ size: [0.7, 40], gap: 1 });
    const opts: uPlot.Options = {
      width: Math.max(200, el.clientWidth),
      height,
      legend: { show: true, live: false },
      cursor: { drag: { x: false, y: false } },
      scales: { x: { time: true } },
      axes: [
        {
          stroke: '#687084',
          grid: { stroke: '#eef0f4' },
          values: step === 'day' ? '{MMM} {D}' : undefined,
        },
        { stroke: '#687084', grid: { stroke: '#eef0f4' }, size: 76, values: (_u, ticks) => ticks.map((t) => format(t)) },
      ],
      series: [
        {},
        ...series.map((s) => ({
          label: s.label,
          stroke: s.color,
          fill: s.bars ? s.color : undefined,
          width: s.bars ? 0 : 2,
          paths: s.bars ? bars : undefined,
          points: { show: false },
          spanGaps: !s.bars,
        })),
      ],
    };
    const chart = new uPlot(opts, [times, ...series.map((s) => s.values)] as uPlot.AlignedData, el);
    const resize = new ResizeObserver(() => chart.setSize({ width: Math.max(200, el.clientWidth), height }));
    resize.observe(el);
    return () => {
      resize.disconnect();
      chart.destroy();
    };
    // `key` stands for times and series (a new array every render would redraw for nothing).
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [key, height]);
  return <div ref={box} className="ins-chart" data-testid={testid} />;
}

/** A row's tiny bar chart (runs per day, failed part in red): SVG, no library. */
export function Sparkline({ points, testid }: { points: { runs: number; failed: number }[]; testid?: string }) {
  const max = Math.max(1, ...points.map((p) => p.runs));
  const w = 8;
  return (
    <svg className="ins-spark" width={points.length * (w + 2)} height={24} data-testid={testid} role="img" aria-label="runs per day">
      {points.map((p, i) => {
        const h = Math.round((p.runs / max) * 22);
        const f = Math.round((p.failed / max) * 22);
        return (
          <g key={i}>
            <rect x={i * (w + 2)} y={24 - h} width={w} height={h} fill="#b8c4ea" />
            <rect x={i * (w + 2)} y={24 - f} width={w} height={f} fill="#d64545" />
          </g>
        );
      })}
    </svg>
  );
}
