import { describe, expect, it } from 'vitest';
import { FaultPlan, type Statement } from '../../src/faults/plan.js';
import { Prng, seedsFromEnv } from '../../src/faults/prng.js';
import { MessageReader, shapeOf } from '../../src/faults/protocol.js';

const statement = (sql: string, inTransaction = false): Statement => ({
  ...shapeOf(sql),
  sql,
  inTransaction,
});

describe('the seeded fault plan', () => {
  it('makes the same decisions for the same seed, so a failing seed can be run again', () => {
    const decisions = (seed: number) => {
      const plan = new FaultPlan({ seed, rate: 0.5 });
      return Array.from({ length: 200 }, (_, i) => plan.decide(statement(`select ${i}`))?.action ?? '-');
    };
    expect(decisions(7)).toEqual(decisions(7));
    expect(decisions(7)).not.toEqual(decisions(8));
    expect(new Set(decisions(7))).toEqual(
      new Set(['-', 'drop', 'mid-query', 'lost-reply', 'after-reply', 'stall']),
    );
  });

  it('names faults by where they struck and counts them', () => {
    const plan = new FaultPlan({ seed: 1, rate: 0 })
      .next(/commit/i, 'lost-reply')
      .next(/commit/i, 'drop')
      .next(/insert/, 'drop');
    expect(plan.decide(statement('select 1'))).toBeUndefined();
    expect(plan.decide(statement('insert into t values (1)', true))?.label).toBe('cut mid-transaction');
    expect(plan.decide(statement('COMMIT'))?.label).toBe('lost COMMIT reply');
    expect(plan.decide(statement('START TRANSACTION;\ninsert into t values (1);\nCOMMIT'))?.label).toBe(
      'cut before COMMIT',
    );
    expect(plan.total).toBe(3);
  });

  it('strikes statements that commit at their own rate', () => {
    const plan = new FaultPlan({ seed: 5, rate: 0, commitRate: 1 });
    expect(plan.decide(statement('select 1'))).toBeUndefined();
    expect(plan.decide(statement('COMMIT'))).toBeDefined();
  });

  it('resets new connections at its connect rate', () => {
    const plan = new FaultPlan({ seed: 9, rate: 0, connectRate: 1 });
    expect(plan.decideConnect()).toBe(true);
    expect(plan.injected.get('cut while connecting')).toBe(1);
    expect(new FaultPlan({ seed: 9, rate: 0 }).decideConnect()).toBe(false);
  });

  it('injects no random fault while paused', () => {
    const plan = new FaultPlan({ seed: 3, rate: 1 });
    plan.pause();
    expect(plan.decide(statement('select 1'))).toBeUndefined();
    plan.resume();
    expect(plan.decide(statement('select 1'))).toBeDefined();
  });

  it('gives integers in range and reads seeds from the environment', () => {
    const prng = new Prng(42);
    const values = Array.from({ length: 1000 }, () => prng.int(2, 5));
    expect(new Set(values)).toEqual(new Set([2, 3, 4, 5]));
    process.env.T_SEEDS = '4, 5';
    expect(seedsFromEnv('T_SEEDS', [1])).toEqual([4, 5]);
    process.env.T_SEEDS = 'x';
    expect(() => seedsFromEnv('T_SEEDS', [1])).toThrow(/integer seeds/);
    delete process.env.T_SEEDS;
    expect(seedsFromEnv('T_SEEDS', [1, 2])).toEqual([1, 2]);
  });
});

describe('reading the wire protocols', () => {
  it('cuts MySQL packets out of any chunking and reads COM_QUERY text', () => {
    const packet = (seq: number, payload: Buffer) => {
      const head = Buffer.alloc(4);
      head.writeUIntLE(payload.length, 0, 3);
      head[3] = seq;
      return Buffer.concat([head, payload]);
    };
    const stream = Buffer.concat([
      packet(1, Buffer.from('handshake response')),
      packet(0, Buffer.concat([Buffer.from([0x03]), Buffer.from('select 1')])),
      packet(0, Buffer.from([0x0e])), // COM_PING
    ]);
    const reader = new MessageReader('mysql');
    const messages = [...stream].flatMap((byte) => reader.push(Buffer.from([byte])));
    expect(messages.map((m) => m.sql)).toEqual([undefined, 'select 1', undefined]);
    expect(Buffer.concat(messages.map((m) => m.bytes))).toEqual(stream);
  });

  it('reads PostgreSQL startup, simple and extended query messages', () => {
    const typed = (type: string, body: Buffer) => {
      const head = Buffer.alloc(5);
      head.write(type, 0);
      head.writeInt32BE(body.length + 4, 1);
      return Buffer.concat([head, body]);
    };
    const untyped = (code: number) => {
      const b = Buffer.alloc(8);
      b.writeInt32BE(8, 0);
      b.writeInt32BE(code, 4);
      return b;
    };
    const stream = Buffer.concat([
      untyped(80877103), // SSLRequest
      untyped(196608), // startup (no parameters)
      typed('Q', Buffer.from('BEGIN\0')),
      typed('P', Buffer.from('\0select $1\0\0\0')),
      typed('S', Buffer.alloc(0)),
    ]);
    const reader = new MessageReader('postgres');
    const messages = [reader.push(stream.subarray(0, 11)), reader.push(stream.subarray(11))].flat();
    expect(messages.map((m) => m.sql)).toEqual([undefined, undefined, 'BEGIN', 'select $1', undefined]);
  });

  it('tells a statement that begins, commits or rolls back', () => {
    expect(shapeOf('START TRANSACTION')).toEqual({ begins: true, commits: false, rollsBack: false });
    expect(shapeOf('START TRANSACTION;\ninsert into t values (1);\nCOMMIT')).toEqual({
      begins: true,
      commits: true,
      rollsBack: false,
    });
    expect(shapeOf('commit')).toMatchObject({ commits: true });
    expect(shapeOf('ROLLBACK')).toMatchObject({ rollsBack: true });
    expect(shapeOf("insert into t values ('commit')")).toEqual({
      begins: false,
      commits: false,
      rollsBack: false,
    });
  });
});
