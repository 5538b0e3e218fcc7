import type { GridCell, StateCounts, WindowState, WindowsAnswer } from './contract.js';
import { el } from './time.js';

export const STATE_LABELS: Record<WindowState, string> = {
  succeeded: 'succeeded',
  late: 'recomputed late',
  failed: 'failed',
  missing: 'missing',
  running: 'running',
  stale: 'stale',
  none: 'not recorded',
};

export function renderLegend(target: HTMLElement, counts: StateCounts, total: number): void {
  target.replaceChildren(
    ...(Object.keys(STATE_LABELS) as WindowState[]).map((s) =>
      el(
        'span',
        { class: `legend s-${s}`, 'data-state': s },
        el('i'),
        `${STATE_LABELS[s]} ${counts[s] ?? 0}`,
      ),
    ),
    el('span', { class: 'legend-total', text: `${total} windows` }),
  );
}

/** Days down, times of day across; every cell a button carrying its range and state. */
export function renderGrid(
  target: HTMLElement,
  data: WindowsAnswer,
  local: (iso: string) => string,
  onPick: (cell: GridCell) => void,
): void {
  const { rows, cols, cells, windowsPerCell } = data.grid;
  if (rows.length === 0) {
    target.replaceChildren(el('p', { text: 'No windows in this range.' }));
    return;
  }
  const table = el('div', { class: 'grid', role: 'grid' });
  table.style.gridTemplateColumns = `7.5em repeat(${cols.length}, minmax(3px, 1fr))`;
  const every = Math.max(1, Math.ceil(cols.length / 12));
  table.append(el('span', { class: 'corner' }));
  cols.forEach((c, i) => {
    table.append(el('span', { class: 'col-label', text: i % every === 0 ? c : '' }));
  });
  const byPosition = new Map(cells.map((c) => [c.row * cols.length + c.col, c]));
  rows.forEach((row, r) => {
    table.append(el('span', { class: 'row-label', title: `${row.from} – ${row.to}`, text: row.label }));
    for (let c = 0; c < cols.length; c++) {
      const cell = byPosition.get(r * cols.length + c);
      if (!cell) {
        table.append(el('span', { class: 'cell empty' }));
        continue;
      }
      const title =
        cell.windows === 1
          ? `${local(cell.from)} ${STATE_LABELS[cell.state]}`
          : `${local(cell.from)} → ${local(cell.to)}: ${describeCounts(cell.counts)}`;
      const button = el('button', {
        class: `cell s-${cell.state}`,
        title,
        'aria-label': title,
        'data-state': cell.state,
        'data-from': cell.from,
        'data-to': cell.to,
        'data-windows': String(cell.windows),
      });
      button.addEventListener('click', () => onPick(cell));
      table.append(button);
    }
  });
  target.replaceChildren(
    el('p', {
      class: 'grid-note',
      text:
        windowsPerCell > 1
          ? `Each cell holds up to ${windowsPerCell} windows and shows the state that most needs a look; click one to zoom in.`
          : 'One cell per window; click one for its details.',
    }),
    table,
  );
}

export function describeCounts(counts: StateCounts): string {
  return (Object.entries(counts) as Array<[WindowState, number]>)
    .map(([s, n]) => `${n} ${STATE_LABELS[s]}`)
    .join(', ');
}
