import { defineConfig } from 'tsup';

// Two entry points: `.` is what ships inside the function, `./deploy` is build-time only
// (control-plane SDKs, esbuild), so a user's function bundle never pulls deploy code in.
export default defineConfig({
  entry: { index: 'src/index.ts', 'deploy/index': 'src/deploy/index.ts' },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'node20',
  shims: true,
});
