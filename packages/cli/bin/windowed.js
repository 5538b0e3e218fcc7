#!/usr/bin/env node
// The `windowed` executable npm links at install time. It is committed, not built, so the link exists
// before the first build and `npx windowed` never falls back to the registry. It loads the build; in a
// checkout that has not been built yet it runs the sources through tsx (a dev dependency of the repo).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const built = new URL('../dist/bin.js', import.meta.url);
const source = new URL('../src/bin.ts', import.meta.url);
// The repository's tsconfig maps @windowed/* to their sources, so nothing needs building.
const tsconfig = new URL('../../../tsconfig.base.json', import.meta.url);

if (existsSync(built)) {
  await import(built.href);
} else if (existsSync(source) && existsSync(tsconfig)) {
  let register;
  try {
    ({ register } = await import('tsx/esm/api'));
  } catch {
    process.stderr.write(
      'error: windowed is not built, and tsx (to run it from source) is not installed.\nhint: run `npm ci && npm run build` at the repository root\n',
    );
    process.exit(2);
  }
  register({ tsconfig: fileURLToPath(tsconfig) });
  await import(source.href);
} else {
  process.stderr.write('error: windowed is not built (dist/bin.js is missing).\nhint: run `npm run build`\n');
  process.exit(2);
}
