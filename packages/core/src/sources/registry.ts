import { redact, WindowedError } from '../errors.js';
import type { SourceConfig } from '../types.js';
import { builtinSourceFactories } from './builtin.js';
import { isSource, type Source } from './types.js';

/**
 * Creates a source from a validated config object. Adapters register their own types
 * (`sls`, `cloudwatch`) so a job, a config file or `WINDOWED_SOURCE` can name them, while the
 * core never imports an adapter. `create` validates its options and throws `INVALID_CONFIG`.
 */
export interface SourceFactory {
  type: string;
  create(config: Record<string, unknown>): Source;
}

const factories = new Map<string, SourceFactory>(builtinSourceFactories.map((f) => [f.type, f]));

export function registerSourceType(factory: SourceFactory): void {
  factories.set(factory.type, factory);
}

export function registeredSourceTypes(): string[] {
  return [...factories.keys()];
}

/**
 * A source from a Source object, a config object, or a string: a JSON object, `ndjson:<path>`
 * (`csv:`, `parquet:`),
 * or a database URL with `?table=<t>&timeColumn=<c>` (the `sql` source).
 */
export function createSource(config: SourceConfig | Source | string): Source {
  if (isSource(config)) return config;
  const object = typeof config === 'string' ? parseSourceString(config) : config;
  const factory = factories.get(object.type);
  if (!factory) {
    throw new WindowedError(
      'INVALID_CONFIG',
      `Unknown source type ${JSON.stringify(object.type)}; expected one of ${registeredSourceTypes().join(', ')}` +
        ' (sls and cloudwatch become available when their adapter package is imported).',
    );
  }
  return factory.create(object as Record<string, unknown>);
}

function parseSourceString(text: string): SourceConfig {
  const trimmed = text.trim();
  if (trimmed.startsWith('{')) {
    try {
      return JSON.parse(trimmed) as SourceConfig;
    } catch (cause) {
      throw new WindowedError('INVALID_CONFIG', 'The source is not valid JSON.', { cause });
    }
  }
  const file = /^(ndjson|csv|parquet):/.exec(trimmed);
  if (file) {
    const type = file[1] as 'ndjson' | 'csv' | 'parquet';
    return { type, path: trimmed.slice(type.length + 1).replace(/^\/\/(?=\.|\/)/, '') };
  }
  if (/^(sqlite|mysql|mariadb|postgres|postgresql):/i.test(trimmed)) {
    const query = trimmed.includes('?') ? trimmed.slice(trimmed.indexOf('?') + 1) : '';
    const params = new URLSearchParams(query);
    const table = params.get('table');
    if (!table) {
      throw new WindowedError(
        'INVALID_CONFIG',
        `The SQL source "${redact(trimmed)}" needs ?table=<log table> (and optionally &timeColumn=<column>).`,
      );
    }
    const timeType = params.get('timeType');
    return {
      type: 'sql',
      url: trimmed,
      table,
      ...(params.get('timeColumn') ? { timeColumn: params.get('timeColumn')! } : {}),
      ...(timeType ? { timeType: timeType as 'datetime' | 'epoch_ms' | 'epoch_s' } : {}),
    };
  }
  throw new WindowedError(
    'INVALID_CONFIG',
    `Unrecognized source "${redact(trimmed)}": expected ndjson:<path>, csv:<path>, parquet:<path>, a database URL with ?table=, a JSON object, or a source object.`,
  );
}
