import type { Sizes } from './config.js';
import type { Db } from './mariadb.js';
import type { BenchResult } from './results.js';

export interface BenchContext {
  sizes: Sizes;
  quick: boolean;
  /** The bench database, for setup and checks (never for what is measured). */
  db(): Promise<Db>;
  log(message: string): void;
}

export interface Benchmark {
  name: string;
  describe: string;
  /** Run only when named with --only (too long or too big for every run). */
  optIn?: boolean;
  run(ctx: BenchContext): Promise<BenchResult[]>;
}
