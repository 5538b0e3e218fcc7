import { fileURLToPath } from 'node:url';
import { mergeConfig } from 'vitest/config';
import { sharedConfig } from '../../vitest.shared.js';

export default mergeConfig(sharedConfig, {
  test: {
    // One scenario at a time: they load the databases and the machine's two cores on their own.
    fileParallelism: false,
    testTimeout: 60_000,
    // Sums the figures every file wrote and prints them once, after the last file.
    globalSetup: [fileURLToPath(new URL('./test/support/report-setup.ts', import.meta.url))],
  },
});
