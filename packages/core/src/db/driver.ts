import { createRequire } from 'node:module';
import { WindowedError } from '../errors.js';
import type { Dialect } from './client.js';

/** `error.code` of a driver a function bundle left out (`bundledDriversPlugin`): reported as MISSING_DEPENDENCY. */
export const DRIVER_NOT_BUNDLED = 'WINDOWED_DRIVER_NOT_BUNDLED';

const PACKAGES: Record<Dialect, string> = { sqlite: 'better-sqlite3@12', mysql: 'mysql2', postgres: 'pg' };

/**
 * The dialect's driver, loaded when the first database of that dialect is opened: a job that writes
 * to MySQL never loads pg, and drivers are optional peer dependencies. The specifiers are literal so
 * that bundlers (esbuild for the function packages) include mysql2 and pg and still load them lazily.
 */
export async function loadDriver<T>(dialect: Dialect): Promise<T> {
  try {
    const module = (await importDriver(dialect)) as { default?: T } & T;
    return module.default ?? module;
  } catch (cause) {
    // A function bundle left this driver out (see bundledDriversPlugin): its error says why.
    if ((cause as { code?: unknown })?.code === DRIVER_NOT_BUNDLED)
      throw new WindowedError('MISSING_DEPENDENCY', (cause as Error).message, { cause });
    throw new WindowedError(
      'MISSING_DEPENDENCY',
      `The ${dialect} driver could not be loaded. Run: npm install ${PACKAGES[dialect]}`,
      { cause },
    );
  }
}

function importDriver(dialect: Dialect): Promise<unknown> {
  switch (dialect) {
    case 'mysql':
      return import('mysql2');
    case 'postgres':
      return import('pg');
    case 'sqlite':
      // Native, so never bundled: `require` finds it beside the bundle or through NODE_PATH (as a
      // Lambda layer provides it), which an ESM `import()` would not.
      return Promise.resolve(createRequire(import.meta.url)('better-sqlite3'));
  }
}
