/**
 * Simulated time. The emulator runs a day of invocations in seconds: each invocation executes
 * (for real) while the virtual clock stands at the instant it starts in simulated time, and the
 * handler's wall clock — `new Date()`, `Date.now()` — reads that instant. So a handler that
 * takes its window from the clock (the naive one) sees the delays and the warm reuse the
 * simulation produces, while a windowed handler, which takes it from the event, does not care.
 */
export class VirtualClock {
  private current: number;

  constructor(start: number) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  /**
   * Sets the instant the next piece of work sees. Not monotonic: invocations on different
   * instances overlap in simulated time, and each sees its own start.
   */
  set(instant: number): void {
    this.current = instant;
  }
}

const RealDate = globalThis.Date;

/**
 * Replaces the global `Date` so that `new Date()` and `Date.now()` read the virtual clock; every
 * other use (`new Date(ms)`, `Date.parse`, `instanceof Date`) behaves as usual. Returns the
 * function that puts the real `Date` back. Dates made either way are real Date objects.
 */
export function installVirtualDate(clock: VirtualClock): () => void {
  const previous = globalThis.Date;
  function VirtualDate(this: unknown, ...args: unknown[]): Date | string {
    if (!new.target) return new RealDate(clock.now()).toString();
    if (args.length === 0) return new RealDate(clock.now());
    return new (RealDate as unknown as new (...a: unknown[]) => Date)(...args);
  }
  Object.setPrototypeOf(VirtualDate, RealDate);
  Object.defineProperties(VirtualDate, {
    prototype: { value: RealDate.prototype, writable: false },
    now: { value: () => clock.now(), writable: true, configurable: true },
    parse: { value: RealDate.parse, writable: true, configurable: true },
    UTC: { value: RealDate.UTC, writable: true, configurable: true },
  });
  globalThis.Date = VirtualDate as unknown as DateConstructor;
  return () => {
    globalThis.Date = previous;
  };
}

/** mulberry32: small, fast, and the same sequence for the same seed on every machine. */
export function seededRandom(seed: number | string): () => number {
  let a = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hashString(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A seeded id in UUID shape (request ids, execution ids). */
export function seededUuid(random: () => number): string {
  const hex = Array.from({ length: 32 }, () => Math.floor(random() * 16).toString(16)).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
