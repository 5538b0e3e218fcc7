import { defineConfig } from 'vite';

// Relative asset URLs: the CLI serves dist/ at the root of its own port.
export default defineConfig({
  base: './',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  logLevel: 'warn',
});
