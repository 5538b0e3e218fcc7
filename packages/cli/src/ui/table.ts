import { visibleLength } from './color.js';

export interface TableOptions {
  /** Columns to right-align (numbers). Default: every column whose cells all look numeric. */
  align?: Array<'left' | 'right'>;
  /** Separator between columns. */
  gap?: string;
}

/** A plain-text table: a header, a rule, and rows, columns padded to the widest cell. */
export function renderTable(header: string[], rows: string[][], options: TableOptions = {}): string {
  const gap = options.gap ?? '  ';
  const widths = header.map((h, i) =>
    Math.max(visibleLength(h), ...rows.map((r) => visibleLength(r[i] ?? ''))),
  );
  const align =
    options.align ??
    header.map((_, i) =>
      rows.length > 0 && rows.every((r) => /^-?[\d.,]+%?$|^$|^-$/.test(r[i] ?? '')) ? 'right' : 'left',
    );
  const pad = (cell: string, i: number) => {
    const fill = ' '.repeat(Math.max(0, widths[i]! - visibleLength(cell)));
    return align[i] === 'right' ? fill + cell : cell + fill;
  };
  const line = (cells: string[]) =>
    cells
      .map((c, i) => pad(c, i))
      .join(gap)
      .trimEnd();
  return [
    line(header),
    widths.map((w) => '─'.repeat(w)).join(gap),
    ...rows.map((r) => line(header.map((_, i) => r[i] ?? ''))),
  ].join('\n');
}

/** A number as a table shows it: integers with thousands separators, others with up to 2 decimals. */
export function formatNumber(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) return String(value);
    return Number.isInteger(value)
      ? value.toLocaleString('en-US')
      : value.toLocaleString('en-US', { maximumFractionDigits: 2 });
  }
  return String(value);
}
