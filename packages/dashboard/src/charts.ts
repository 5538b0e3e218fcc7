import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import type { SeriesAnswer } from './contract.js';
import { el } from './time.js';

const COLORS = ['#2563eb', '#db2777', '#16a34a', '#ea580c', '#7c3aed', '#0891b2', '#ca8a04', '#4b5563'];

let plots: uPlot[] = [];

/** One chart per metric, a line per group; `onPointer` gets the instant under the pointer (ms). */
export function renderCharts(
  target: HTMLElement,
  data: SeriesAnswer,
  timeZone: string,
  onPointer: (ms: number) => void,
): void {
  for (const p of plots) p.destroy();
  plots = [];
  target.replaceChildren();
  if (data.t.length === 0 || data.groups.length === 0) {
    target.append(el('p', { text: 'The sink has no rows in this range.' }));
    return;
  }
  const width = Math.max(320, target.clientWidth || 900);
  for (const metric of data.metrics) {
    const box = el('div', { class: 'chart', 'data-metric': metric });
    target.append(box);
    const plot = new uPlot(
      {
        title: metric,
        width,
        height: 180,
        tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), timeZone),
        scales: { x: { time: true } },
        series: [
          {},
          ...data.groups.map((g, i) => ({
            label: g.label,
            stroke: COLORS[i % COLORS.length]!,
            width: 1.5,
            spanGaps: false,
          })),
        ],
        cursor: { drag: { x: false, y: false } },
        hooks: {
          setCursor: [
            (u) => {
              const left = u.cursor.left;
              if (left === undefined || left < 0) return;
              onPointer(Math.floor(u.posToVal(left, 'x') * 1000));
            },
          ],
        },
      },
      [data.t.map((t) => t / 1000), ...data.groups.map((g) => g.values[metric] ?? [])],
      box,
    );
    plots.push(plot);
  }
}
