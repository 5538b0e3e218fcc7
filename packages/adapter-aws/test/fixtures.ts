import { readFileSync } from 'node:fs';

/** A sample event from test/fixtures/aws/, parsed fresh on each call. */
export function fixture<T = Record<string, unknown>>(name: string): T {
  return JSON.parse(readFileSync(new URL(`./fixtures/aws/${name}.json`, import.meta.url), 'utf8')) as T;
}
