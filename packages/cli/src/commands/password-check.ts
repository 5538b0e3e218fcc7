import { type DeployInput, passwordPlace, passwordsOfEnvironment, resourceEnvironment } from '@windowed/core';
import { type CliContext, note } from '../context.js';
import { CliError, EXIT } from '../errors.js';

export const STRICT_HELP =
  "refuse to deploy a database password into the function's configuration (name its secret instead)";

/**
 * Where a deploy would write a database password into the function's configuration: the resource
 * variables (`WINDOWED_SINK`, `WINDOWED_STATE`, `WINDOWED_SOURCE`) and any database URL among the
 * target's deploy options (an `environment` variable, say). Anyone who may read the function's
 * configuration reads them there, and rotating one means redeploying.
 */
export function literalPasswordPlaces(input: DeployInput): string[] {
  const places = passwordsOfEnvironment(resourceEnvironment(input.resources)).literals;
  const walk = (value: unknown, path: string): void => {
    if (typeof value === 'string') {
      if (passwordPlace(value, path) === 'url') places.push(path);
    } else if (value && typeof value === 'object') {
      for (const [key, child] of Object.entries(value)) walk(child, `${path}.${key}`);
    }
  };
  walk(input.deploy, 'deploy');
  return places;
}

/** Warns about each place (`--strict`: refuses, before anything is built or called). */
export function checkDatabasePasswords(ctx: CliContext, input: DeployInput, strict: boolean): void {
  const places = literalPasswordPlaces(input);
  if (places.length === 0) return;
  const what = `${places.join(', ')} would put a database password into the function's configuration, where whoever may read that configuration reads it`;
  const hint =
    'name where the password lives instead: { url, password: { secret: \'<name or ARN>\' } } (or ?passwordSecret= / ?passwordParameter= in the URL); see the README, "Database passwords"';
  if (strict) throw new CliError(`${what}.`, EXIT.usage, hint);
  note(ctx, ctx.errColors.yellow(`warning: ${what}: ${hint}.`));
}
