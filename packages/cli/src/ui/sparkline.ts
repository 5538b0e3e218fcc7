const BARS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/**
 * One character per value, scaled between the smallest and largest: `▁▂▄█▆▃`. A missing value
 * (null) is a space, so a gap in the data shows as a gap. With `width`, values are averaged into
 * that many buckets first.
 */
export function sparkline(values: ReadonlyArray<number | null>, width?: number): string {
  const points = width && values.length > width ? bucket(values, width) : values;
  const present = points.filter((v): v is number => v !== null && Number.isFinite(v));
  if (present.length === 0) return ' '.repeat(points.length);
  const min = Math.min(...present);
  const max = Math.max(...present);
  return points
    .map((v) => {
      if (v === null || !Number.isFinite(v)) return ' ';
      if (max === min) return BARS[present.length === 1 || max === 0 ? 0 : 3];
      return BARS[Math.min(BARS.length - 1, Math.floor(((v - min) / (max - min)) * BARS.length))];
    })
    .join('');
}

function bucket(values: ReadonlyArray<number | null>, width: number): Array<number | null> {
  const out: Array<number | null> = [];
  for (let i = 0; i < width; i++) {
    const slice = values.slice(
      Math.floor((i * values.length) / width),
      Math.floor(((i + 1) * values.length) / width),
    );
    const present = slice.filter((v): v is number => v !== null && Number.isFinite(v));
    out.push(present.length ? present.reduce((a, b) => a + b, 0) / present.length : null);
  }
  return out;
}
