import { inspect } from 'node:util';
import {
  createJsonLogger,
  createSink,
  defineWindowedJob,
  describeError,
  manualTrigger,
  parseDatabaseUrl,
  redact,
  WindowedError,
} from '@windowed/core';
import { describe, expect, it } from 'vitest';

/**
 * Passwords that are not URL-encoded, each with the parts that must never show: the whole, and
 * what follows the character that ends a URL's user info (a naive redaction keeps that part).
 */
const FORMS = [
  { form: 'a slash', password: 'Zq9/wxy/vut', parts: ['Zq9', 'wxy/vut'] },
  { form: 'a slash after digits', password: '4711/wxyq', parts: ['4711/', 'wxyq'] },
  { form: 'an @', password: 'Zq9@kjh', parts: ['Zq9', 'kjh'] },
  { form: 'spaces', password: 'Zq9 mnb rt', parts: ['Zq9', 'mnb rt'] },
  { form: 'a #', password: 'Zq9#lkp', parts: ['Zq9', 'lkp'] },
  { form: 'a ?', password: 'Zq9?poi', parts: ['Zq9', 'poi'] },
  { form: 'an encoded /', password: 'Zq9%2Fgfd', parts: ['Zq9', 'gfd'] },
];

const url = (scheme: string, password: string) => `${scheme}://app:${password}@127.0.0.1:1/stats`;

function expectNoSecret(text: string, parts: string[]): void {
  for (const part of parts) expect(text).not.toContain(part);
}

/** Everything a person or a log collector could see of an error. */
function everything(error: unknown): string {
  return [
    String(error),
    (error as Error).stack,
    inspect(error, { depth: Number.POSITIVE_INFINITY }),
    inspect(error, { depth: Number.POSITIVE_INFINITY, showHidden: true }),
    JSON.stringify(error),
    describeError(error),
    JSON.stringify((error as { cause?: { input?: unknown } }).cause?.input ?? null),
  ].join('\n');
}

describe.each(FORMS)('a password with $form is never shown', ({ password, parts }) => {
  for (const scheme of ['mysql', 'postgres']) {
    const raw = url(scheme, password);

    it(`${scheme}: redact() hides it in text, quoted or not`, () => {
      expectNoSecret(redact(raw), parts);
      expectNoSecret(redact(`Could not connect to ${raw}: refused`), parts);
      expectNoSecret(redact(`sink "${raw}" failed; see admin@example.com`), parts);
      expect(redact(raw)).toContain(`${scheme}://app:***@`);
    });

    it(`${scheme}: parsing the URL — accepted or refused — leaks nothing, also in util.inspect and the cause's input`, () => {
      let error: unknown;
      try {
        const db = parseDatabaseUrl(raw, 'sink URL');
        expectNoSecret(db.display, parts);
        expectNoSecret(inspect(db, { depth: Number.POSITIVE_INFINITY }), parts);
        expectNoSecret(JSON.stringify(db), parts);
      } catch (e) {
        error = e;
      }
      if (error) {
        expect(error).toBeInstanceOf(WindowedError);
        expect((error as WindowedError).code).toBe('INVALID_CONFIG');
        expectNoSecret(everything(error), parts);
      }
    });

    it(`${scheme}: a job with it as its sink, its errors and its log lines leak nothing`, async () => {
      let job: ReturnType<typeof defineWindowedJob> | undefined;
      let error: unknown;
      try {
        job = defineWindowedJob({
          name: 'leak',
          window: '1m',
          query: async () => [{ n: 1 }],
          sink: raw,
          logger: false,
        });
      } catch (e) {
        error = e;
      }
      if (job) {
        expectNoSecret(inspect(job, { depth: Number.POSITIVE_INFINITY }), parts);
        expectNoSecret(JSON.stringify(await job.describe()), parts);
        // Nothing listens on port 1: the run fails connecting.
        error = await job.run(manualTrigger('2026-11-27T10:01:00Z')).catch((e) => e);
        await job.close();
      }
      expect(error).toBeInstanceOf(WindowedError);
      expectNoSecret(everything(error), parts);
      const lines: string[] = [];
      const logger = createJsonLogger('debug', (_level, line) => lines.push(line));
      logger.error(`failed: ${raw}`, { url: raw, error: describeError(error) });
      expectNoSecret(lines.join('\n'), parts);
    });

    it(`${scheme}: a sink object made from it inspects without it`, () => {
      let sink: unknown;
      try {
        sink = createSink(raw, 'leak');
      } catch (e) {
        sink = e;
      }
      expectNoSecret(inspect(sink, { depth: Number.POSITIVE_INFINITY }), parts);
    });
  }
});

describe('redaction keeps what is not a secret', () => {
  it('keeps the user, host and database, and text around the URL', () => {
    expect(redact('mysql://app:Zq9@db.example.com:3306/stats failed')).toBe(
      'mysql://app:***@db.example.com:3306/stats failed',
    );
    expect(redact('see mysql://app@db.example.com/stats and admin@example.com')).toBe(
      'see mysql://app@db.example.com/stats and admin@example.com',
    );
  });
});
