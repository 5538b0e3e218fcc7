import { describe, expect, it } from 'vitest';
import { compareWindow } from '../../src/verify/compare.js';
import { makeWindow } from '../../src/window/types.js';

const W = makeWindow(new Date('2026-11-27T10:00:00Z'), new Date('2026-11-27T10:01:00Z'));
const grouped = { dimensions: ['status'], metrics: [{ name: 'bytes', type: 'number' as const }] };
const ungrouped = { dimensions: [], metrics: [{ name: 'pv', type: 'integer' as const }] };

describe('compareWindow', () => {
  it('agrees on the same values, within floating-point noise, with groups matched as stored text', () => {
    expect(
      compareWindow(W, grouped, [{ status: '200', bytes: 0.1 + 0.2 }], [{ status: '200', bytes: 0.3 }]),
    ).toBe(undefined);
    expect(compareWindow(W, ungrouped, [{ pv: 0 }], [{ pv: 0 }])).toBe(undefined);
    expect(compareWindow(W, ungrouped, [], [])).toBe(undefined);
  });

  it('tells a null from a zero, and a real difference from noise', () => {
    expect(
      compareWindow(W, grouped, [{ status: '200', bytes: null }], [{ status: '200', bytes: 0 }])?.differences,
    ).toEqual([
      { group: { status: '200' }, expected: { bytes: null }, stored: { bytes: 0 }, metrics: ['bytes'] },
    ]);
    expect(
      compareWindow(W, grouped, [{ status: '200', bytes: 1.000001 }], [{ status: '200', bytes: 1 }]),
    ).toBeDefined();
  });

  it('reports a group the sink holds twice as one matched and one extra', () => {
    const drift = compareWindow(W, ungrouped, [{ pv: 3 }], [{ pv: 3 }, { pv: 3 }]);
    expect(drift).toEqual({
      window: W,
      missing: false,
      differences: [{ group: {}, expected: null, stored: { pv: 3 }, metrics: ['pv'] }],
    });
  });

  it('a window with rows at the source and none in the sink is missing', () => {
    expect(compareWindow(W, ungrouped, [{ pv: 0 }], [])).toMatchObject({ missing: true });
  });
});
