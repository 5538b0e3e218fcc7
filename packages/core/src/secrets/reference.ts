import * as v from 'valibot';
import { WindowedError } from '../errors.js';
import { safeParse } from '../schema-issues.js';

/**
 * Where a database password lives instead of in the URL: a secret in the cloud's secret store (AWS
 * Secrets Manager by name or ARN; Alibaba Cloud KMS Secrets Manager by name or ARN) or an AWS SSM
 * Parameter Store parameter (a SecureString, by name or ARN). In a config object it is the URL's
 * `password` (`{ url, password: { secret: 'arn:…' } }`); in a URL, the query parameter
 * `passwordSecret=` / `passwordParameter=` — the form a function's environment carries. `kmsKey`
 * (`passwordKmsKey=`) names the customer-managed KMS key the value is encrypted with, when it is
 * not the store's default key: `windowed policy` then grants `kms:Decrypt` on it.
 */
const kmsKey = v.optional(v.pipe(v.string(), v.minLength(1, 'expected the KMS key ARN (or id)')));

export const passwordReferenceSchema = v.union(
  [
    v.strictObject({ secret: v.pipe(v.string(), v.minLength(1, 'expected the secret name or ARN')), kmsKey }),
    v.strictObject({
      parameter: v.pipe(v.string(), v.minLength(1, 'expected the parameter name or ARN')),
      kmsKey,
    }),
  ],
  "expected where the password lives: { secret: '<name or ARN>' } or { parameter: '<name or ARN>' } (a literal password belongs in the URL)",
);

export type PasswordReference = v.InferOutput<typeof passwordReferenceSchema>;
export type PasswordReferenceKind = 'secret' | 'parameter';

/** The URL query parameter that carries each kind of reference. */
export const PASSWORD_REFERENCE_PARAMS = {
  secret: 'passwordSecret',
  parameter: 'passwordParameter',
  kmsKey: 'passwordKmsKey',
} as const;

export function referenceKind(reference: PasswordReference): PasswordReferenceKind {
  return 'secret' in reference ? 'secret' : 'parameter';
}

export function referenceId(reference: PasswordReference): string {
  return 'secret' in reference ? reference.secret : reference.parameter;
}

/** `secret "arn:…"` / `parameter "/stats/pvuv"`: what errors, logs and plans name. */
export function describeReference(reference: PasswordReference): string {
  return `${referenceKind(reference)} ${JSON.stringify(referenceId(reference))}`;
}

/** The reference a URL's query names, if any; both kinds at once is `INVALID_CONFIG`. */
export function passwordReferenceOf(params: URLSearchParams, what: string): PasswordReference | undefined {
  const secret = params.get(PASSWORD_REFERENCE_PARAMS.secret);
  const parameter = params.get(PASSWORD_REFERENCE_PARAMS.parameter);
  if (secret !== null && parameter !== null)
    throw new WindowedError(
      'INVALID_CONFIG',
      `The ${what} names its password twice (passwordSecret and passwordParameter): keep one.`,
    );
  if (secret === '' || parameter === '')
    throw new WindowedError(
      'INVALID_CONFIG',
      `The ${what} has an empty ${secret === '' ? 'passwordSecret' : 'passwordParameter'}: give the secret's (parameter's) name or ARN.`,
    );
  const key = params.get(PASSWORD_REFERENCE_PARAMS.kmsKey);
  const kms = key ? { kmsKey: key } : {};
  if (secret !== null) return { secret, ...kms };
  if (parameter !== null) return { parameter, ...kms };
  if (key !== null)
    throw new WindowedError(
      'INVALID_CONFIG',
      `The ${what} has passwordKmsKey but names no password (passwordSecret or passwordParameter).`,
    );
  return undefined;
}

/**
 * A config object's `password` reference validated and moved into its URL's query, so that every
 * consumer (the connection, a function's environment, a plan) reads one form.
 */
export function withPasswordReference(url: string, password: unknown, what: string): string {
  if (password === undefined) return url;
  const parsed = safeParse(passwordReferenceSchema, password);
  if (!parsed.success)
    throw new WindowedError(
      'INVALID_CONFIG',
      `The ${what}'s password must name where it lives: { secret: '<name or ARN>' } or { parameter: '<name or ARN>' }; a literal password belongs in the URL (mysql://user:pass@host/db).`,
    );
  const reference = parsed.output;
  const query = new URLSearchParams({
    [PASSWORD_REFERENCE_PARAMS[referenceKind(reference)]]: referenceId(reference),
  });
  if (reference.kmsKey) query.set(PASSWORD_REFERENCE_PARAMS.kmsKey, reference.kmsKey);
  return `${url}${url.includes('?') ? '&' : '?'}${query}`;
}
