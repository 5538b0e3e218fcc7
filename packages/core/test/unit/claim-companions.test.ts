import { describe, expect, it } from 'vitest';
import { ClaimCompanions } from '../../src/ledger/claim-companions.js';

const probe = (n: number) => ({ sql: `select ${n}`, params: [] });

describe('ClaimCompanions: statements that travel with a ledger claim', () => {
  it('give each waiting owner its own rows from the claim sent in the same turn', async () => {
    const companions = new ClaimCompanions();
    const first = companions.add('pv_uv', [probe(1), probe(2)]);
    const second = companions.add('pv_uv', [probe(3)]);
    const other = companions.add('other_job', [probe(4)]);
    const taken = companions.take('pv_uv');
    expect(taken.statements.map((s) => s.sql)).toEqual(['select 1', 'select 2', 'select 3']);
    taken.deliver([[{ a: 1 }], [{ b: 2 }], [{ c: 3 }]]);
    taken.deliver(undefined); // only the first delivery counts
    expect(await first).toEqual([[{ a: 1 }], [{ b: 2 }]]);
    expect(await second).toEqual([[{ c: 3 }]]);
    // No claim of its job in this turn: handed back for its owner to send.
    expect(await other).toBeUndefined();
  });

  it('hand statements back when the claim went without them or failed', async () => {
    const companions = new ClaimCompanions();
    const waiting = companions.add('pv_uv', [probe(1)]);
    companions.take('pv_uv').deliver(undefined);
    expect(await waiting).toBeUndefined();
  });

  it('never keep a claim that comes a turn late waiting on them', async () => {
    const companions = new ClaimCompanions();
    const waiting = companions.add('pv_uv', [probe(1)]);
    await Promise.resolve();
    expect(companions.take('pv_uv').statements).toEqual([]);
    expect(await waiting).toBeUndefined();
  });
});
