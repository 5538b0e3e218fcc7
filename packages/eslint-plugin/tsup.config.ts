import { defineConfig } from 'tsup';

export default defineConfig({
  // The rules (loaded by ESLint from a user's config) and the programmatic check (the CLI's) are
  // separate entry points: a config that loads the rules never loads the ESLint Node API or a parser.
  entry: { index: 'src/index.ts', check: 'src/check.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  shims: true,
});
