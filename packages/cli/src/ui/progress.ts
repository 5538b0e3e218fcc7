import type { Colors } from './color.js';

export interface ProgressState {
  done: number;
  total: number;
  failed?: number;
}

export interface ProgressBarOptions {
  stream: NodeJS.WriteStream | { write(text: string): boolean; isTTY?: boolean; columns?: number };
  colors: Colors;
  label?: string;
  /** Injected for tests; the bar only measures rate and ETA with it, never windows. */
  now?: () => number;
}

/**
 * `backfill  [██████░░░░░░]  540/1440 windows  37.5%  120/s  ETA 8s`.
 * On a TTY the line is redrawn in place (at most ~12 times a second); elsewhere (CI logs, pipes)
 * a plain line is printed at every 10% so a log stays short.
 */
export class ProgressBar {
  private readonly started: number;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private lastDecile = -1;
  private drawn = false;
  private state: ProgressState = { done: 0, total: 0 };
  private baseline: number | undefined;

  constructor(private readonly options: ProgressBarOptions) {
    this.started = this.now();
  }

  update(state: ProgressState): void {
    // Windows already done before this run (a resumed backfill) don't count toward the rate.
    this.baseline ??= state.done;
    this.state = state;
    const tty = this.options.stream.isTTY === true;
    if (tty) {
      const now = this.now();
      if (now - this.lastDraw < 80 && state.done < state.total) return;
      this.lastDraw = now;
      this.options.stream.write(`\r${this.render()}\u001b[K`);
      this.drawn = true;
      return;
    }
    const decile = state.total === 0 ? 10 : Math.floor((state.done / state.total) * 10);
    if (decile !== this.lastDecile) {
      this.lastDecile = decile;
      this.options.stream.write(`${this.render()}\n`);
    }
  }

  /** Ends the bar's line so the next output starts on a fresh one. */
  stop(): void {
    if (this.drawn && this.options.stream.isTTY) {
      this.options.stream.write(`\r${this.render()}\u001b[K\n`);
      this.drawn = false;
    }
  }

  render(): string {
    const { done, total, failed = 0 } = this.state;
    const { colors } = this.options;
    const ratio = total === 0 ? 1 : done / total;
    const width = Math.max(
      10,
      Math.min(30, ((this.options.stream as { columns?: number }).columns ?? 80) - 60),
    );
    const filled = Math.round(ratio * width);
    const bar = colors.green('█'.repeat(filled)) + colors.dim('░'.repeat(width - filled));
    const elapsed = (this.now() - this.started) / 1000;
    const fresh = done - (this.baseline ?? 0);
    const rate = elapsed > 0 ? fresh / elapsed : 0;
    const eta = rate > 0 ? (total - done) / rate : undefined;
    const parts = [
      `${this.options.label ?? 'progress'}  [${bar}]`,
      `${done}/${total} windows`,
      `${(ratio * 100).toFixed(1)}%`,
      `${formatRate(rate)}/s`,
      done >= total ? `in ${formatSeconds(elapsed)}` : `ETA ${eta === undefined ? '?' : formatSeconds(eta)}`,
    ];
    if (failed > 0) parts.push(colors.red(`${failed} failed`));
    return parts.join('  ');
  }

  private now(): number {
    return this.options.now ? this.options.now() : performance.now();
  }
}

function formatRate(rate: number): string {
  return rate >= 100 ? Math.round(rate).toString() : rate.toFixed(1);
}

export function formatSeconds(seconds: number): string {
  if (seconds < 60) return `${seconds < 10 ? seconds.toFixed(1) : Math.round(seconds)}s`;
  const m = Math.floor(seconds / 60);
  if (m < 60) return `${m}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}
