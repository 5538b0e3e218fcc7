/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same sequence, so a fault
 * plan that found a defect can be run again with the seed it printed.
 */
export class Prng {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }
}

/**
 * Seeds from an environment variable (`WINDOWED_FAULT_SEEDS=1,2,3` for a longer local run), else
 * the fixed ones CI runs.
 */
export function seedsFromEnv(name: string, fixed: readonly number[]): number[] {
  const raw = process.env[name];
  if (!raw) return [...fixed];
  const seeds = raw.split(',').map((s) => Number(s.trim()));
  if (seeds.some((s) => !Number.isInteger(s)))
    throw new Error(`${name} must list integer seeds separated by commas, got "${raw}"`);
  return seeds;
}
