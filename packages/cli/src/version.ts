import { createRequire } from 'node:module';

/** The package's version, read at runtime so the bin and the package never disagree. */
export const VERSION: string = (() => {
  try {
    const require = createRequire(import.meta.url);
    for (const candidate of ['../package.json', '../../package.json']) {
      try {
        const pkg = require(candidate) as { name?: string; version?: string };
        if (pkg.name === '@windowed/cli' && pkg.version) return pkg.version;
      } catch {
        // try the next location (src/ and dist/ sit at different depths)
      }
    }
  } catch {
    // fall through
  }
  return '0.0.0';
})();
