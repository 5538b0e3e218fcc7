import { registerSecret, WindowedError } from '../errors.js';
import {
  describeReference,
  type PasswordReference,
  type PasswordReferenceKind,
  referenceId,
  referenceKind,
} from './reference.js';

/**
 * How a platform reads a password reference: an adapter implements it with its cloud's SDK client
 * (loaded only when a reference is read) and registers it with {@link registerSecretResolver}.
 * Core knows no cloud.
 */
export interface SecretResolver {
  /** `aws`, `aliyun`: named in errors. */
  readonly platform: string;
  /** The reference kinds it reads (`secret`, `parameter`). */
  readonly kinds: readonly PasswordReferenceKind[];
  /**
   * The stored value as text: a password, or JSON holding `password` (and `username`), as RDS-managed
   * secrets store them. A reference that names nothing throws `INVALID_CONFIG` naming the reference;
   * nothing it throws may contain the value.
   */
  fetch(reference: PasswordReference): Promise<string>;
}

/** What a reference resolves to. `username`, when the secret holds one, replaces the URL's user. */
export interface DatabaseCredentials {
  password: string;
  username?: string;
}

const RESOLVER_KEY = Symbol.for('windowed.secretResolver');
const CACHE_KEY = Symbol.for('windowed.secretCache');
// On globalThis: the CLI and the config it loads may hold two copies of this module.
const shared = globalThis as Record<symbol, unknown>;
shared[CACHE_KEY] ??= new Map<string, Promise<DatabaseCredentials>>();
const cache = shared[CACHE_KEY] as Map<string, Promise<DatabaseCredentials>>;

/**
 * Makes `resolver` the process's way to read password references (one platform per process: a
 * function runs on one cloud). The adapters' handlers register theirs when loaded; register one
 * yourself for a local run against a cloud's secret (`registerSecretResolver(awsSecretResolver())`).
 * `undefined` forgets it. Cached values are dropped.
 */
export function registerSecretResolver(resolver: SecretResolver | undefined): void {
  shared[RESOLVER_KEY] = resolver;
  cache.clear();
}

export function secretResolver(): SecretResolver | undefined {
  return shared[RESOLVER_KEY] as SecretResolver | undefined;
}

const cacheKey = (reference: PasswordReference) => `${referenceKind(reference)}\n${referenceId(reference)}`;

/**
 * The credentials a reference names, fetched once per process (a cold start) and cached. A failed
 * fetch is not cached: the next connection attempt fetches again.
 */
export function credentialsFor(reference: PasswordReference): Promise<DatabaseCredentials> {
  const key = cacheKey(reference);
  let entry = cache.get(key);
  if (!entry) {
    entry = fetchCredentials(reference);
    cache.set(key, entry);
    entry.catch(() => {
      if (cache.get(key) === entry) cache.delete(key);
    });
  }
  return entry;
}

/**
 * Fetches the reference again after the database refused the login with `stale` (the password was
 * rotated): one fetch however many connections were refused with the same credentials.
 */
export function refreshCredentials(
  reference: PasswordReference,
  stale: Promise<DatabaseCredentials>,
): Promise<DatabaseCredentials> {
  const key = cacheKey(reference);
  if (cache.get(key) === stale) cache.delete(key);
  return credentialsFor(reference);
}

async function fetchCredentials(reference: PasswordReference): Promise<DatabaseCredentials> {
  const resolver = secretResolver();
  const kind = referenceKind(reference);
  if (!resolver?.kinds.includes(kind)) {
    throw new WindowedError(
      'INVALID_CONFIG',
      resolver
        ? `The password is a ${describeReference(reference)}, which the ${resolver.platform} secret resolver does not read (it reads: ${resolver.kinds.join(', ')}).`
        : `The password is a ${describeReference(reference)}, but no secret resolver is registered: deployed functions register their cloud's; for a local run call registerSecretResolver(awsSecretResolver()) or (aliyunSecretResolver()), or put the password in the URL.`,
    );
  }
  const value = await resolver.fetch(reference);
  return credentialsOfSecret(value, reference);
}

/** A secret's text as credentials: JSON with `password` (and `username`), or the password itself. */
export function credentialsOfSecret(value: string, reference: PasswordReference): DatabaseCredentials {
  registerSecret(value);
  let credentials: DatabaseCredentials = { password: value };
  if (value.trimStart().startsWith('{')) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(value);
    } catch {
      parsed = undefined;
    }
    const record = parsed as { password?: unknown; username?: unknown } | undefined;
    if (typeof record?.password !== 'string')
      throw new WindowedError(
        'INVALID_CONFIG',
        `The ${describeReference(reference)} holds JSON without a string "password" key: store the password itself, or JSON such as {"username":"…","password":"…"} (the form RDS-managed secrets use).`,
      );
    credentials = {
      password: record.password,
      ...(typeof record.username === 'string' && record.username ? { username: record.username } : {}),
    };
  }
  if (credentials.password === '')
    throw new WindowedError('INVALID_CONFIG', `The ${describeReference(reference)} holds an empty password.`);
  registerSecret(credentials.password);
  registerSecret(encodeURIComponent(credentials.password));
  return credentials;
}
