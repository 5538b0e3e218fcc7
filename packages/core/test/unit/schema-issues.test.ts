import { firstIssue, issuePath, safeParseSchema } from '@windowed/core';
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';

const schema = v.strictObject({
  name: v.pipe(v.string(), v.regex(/^[a-z]+$/)),
  password: v.optional(v.pipe(v.string(), v.minLength(8))),
  size: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  mode: v.optional(v.picklist(['fast', 'exact'])),
  tags: v.optional(v.pipe(v.array(v.string()), v.minLength(1))),
  window: v.optional(
    v.union([v.string(), v.strictObject({ size: v.string(), delay: v.optional(v.string()) })]),
  ),
});

function problem(input: unknown): string {
  const result = safeParseSchema(schema, input);
  if (result.success) throw new Error('expected the input to be refused');
  const issue = firstIssue(result.issues);
  return `${issuePath(issue)}: ${issue.message}`;
}

describe('runtime schema issues', () => {
  it('say what was expected, in windowed words', () => {
    expect(problem({})).toBe('name: required');
    expect(problem({ name: 'a', colour: 'blue' })).toBe('colour: unknown key "colour"');
    expect(problem({ name: 7 })).toBe('name: expected string, received number');
    expect(problem({ name: 'a', size: 1.5 })).toBe('size: expected an integer, received 1.5');
    expect(problem({ name: 'a', size: 0 })).toBe('size: expected >=1, received 0');
    expect(problem({ name: 'a', mode: 'slow' })).toBe('mode: expected one of "fast", "exact"');
    expect(problem({ name: 'a', tags: [] })).toBe('tags: expected at least 1 item, received 0');
  });

  it('report the union branch that got furthest, with its full path', () => {
    expect(problem({ name: 'a', window: { size: '1m', delai: '30s' } })).toBe(
      'window.delai: unknown key "delai"',
    );
    expect(problem({ name: 'a', window: { size: 60 } })).toBe(
      'window.size: expected string, received number',
    );
    expect(problem({ name: 'a', window: 60 })).toMatch(/^window: expected .*string.*, received number$/);
  });

  it('never echo the value refused: it may be a password', () => {
    const secret = 'Hunter2-Secret';
    for (const input of [
      { name: secret },
      { name: 'a', password: 'short' },
      { name: 'a', password: 12345678 },
      { name: 'a', mode: secret },
      { name: 'a', window: { size: secret, delay: 9 } },
    ]) {
      const message = problem(input);
      expect(message).not.toContain(secret);
      expect(message).not.toContain('short');
      expect(message).not.toContain('12345678');
    }
  });
});
