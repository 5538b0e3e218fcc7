import { parseDatabaseUrl } from '../db/connect.js';
import { type PasswordReference, withPasswordReference } from './reference.js';

/** The function environment variables that may hold a database URL. */
const DATABASE_VARIABLES = ['WINDOWED_SINK', 'WINDOWED_STATE', 'WINDOWED_SOURCE'] as const;

export interface EnvironmentPasswords {
  /** Each variable whose database names its password's place, and that reference. */
  references: Array<{ variable: string; reference: PasswordReference }>;
  /** Variables whose database URL holds a password itself. */
  literals: string[];
}

/**
 * Where the database URLs of a function's environment keep their passwords: a reference to the
 * secret store (what `policy` grants and `doctor` checks) or the URL itself (what `plan` and
 * `deploy` warn about). `WINDOWED_SOURCE` is a URL or a source object as JSON (`{ url, password }`).
 */
export function passwordsOfEnvironment(env: Record<string, string> | undefined): EnvironmentPasswords {
  const found: EnvironmentPasswords = { references: [], literals: [] };
  for (const variable of DATABASE_VARIABLES) {
    const url = databaseUrlOf(env?.[variable]);
    if (!url) continue;
    const place = passwordPlace(url, variable);
    if (place === 'url') found.literals.push(variable);
    else if (place) found.references.push({ variable, reference: place });
  }
  return found;
}

/**
 * Where a database URL keeps its password: `'url'` when the URL holds it, its reference when it
 * names one, `undefined` when it has none or is no database URL (`stdout:`, a file).
 */
export function passwordPlace(value: string, what = 'database URL'): PasswordReference | 'url' | undefined {
  if (!/^(mysql|mariadb|postgres|postgresql):\/\//i.test(value)) return undefined;
  let db: ReturnType<typeof parseDatabaseUrl>;
  try {
    db = parseDatabaseUrl(value, what);
  } catch {
    return undefined;
  }
  if (db.password) return db.password;
  return new URL(db.url).password || db.params.get('password') ? 'url' : undefined;
}

function databaseUrlOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  if (!value.startsWith('{')) return value;
  try {
    const source = JSON.parse(value) as { url?: unknown; password?: unknown };
    if (typeof source.url !== 'string') return undefined;
    return withPasswordReference(source.url, source.password, 'WINDOWED_SOURCE');
  } catch {
    return undefined;
  }
}
