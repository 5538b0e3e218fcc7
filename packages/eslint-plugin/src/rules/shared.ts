import type { Rule } from 'eslint';

/** The published README: each rule's `meta.docs.url` is its section there. */
export const README_URL = 'https://www.npmjs.com/package/@windowed/eslint-plugin';

export function docsUrl(rule: string): string {
  return `${README_URL}#${rule}`;
}

/** `{ handlerExports?: string[] }`, unknown keys rejected by ESLint when the config is loaded. */
export const OPTIONS_SCHEMA: Rule.RuleMetaData['schema'] = [
  {
    type: 'object',
    properties: {
      handlerExports: {
        description:
          'Names of the exports the platform calls (FC `exportName`, the export of Lambda `handler`).',
        type: 'array',
        items: { type: 'string', pattern: '^[A-Za-z_$][A-Za-z0-9_$]*$' },
        minItems: 1,
        uniqueItems: true,
      },
    },
    additionalProperties: false,
  },
];

export const DEFAULT_HANDLER_EXPORTS = ['handler'];

export function handlerNames(options: unknown[]): ReadonlySet<string> {
  const first = options[0] as { handlerExports?: string[] } | undefined;
  return new Set(first?.handlerExports ?? DEFAULT_HANDLER_EXPORTS);
}

/** One listener from several: each handler of a node type runs, in order. */
export function mergeListeners(...listeners: Rule.RuleListener[]): Rule.RuleListener {
  const merged = new Map<string, Array<(...args: unknown[]) => void>>();
  for (const listener of listeners)
    for (const [key, handler] of Object.entries(listener)) {
      if (!handler) continue;
      const handlers = merged.get(key) ?? [];
      handlers.push(handler as (...args: unknown[]) => void);
      merged.set(key, handlers);
    }
  const out: Record<string, (...args: unknown[]) => void> = {};
  for (const [key, handlers] of merged)
    out[key] = (...args) => {
      for (const handler of handlers) handler(...args);
    };
  return out as Rule.RuleListener;
}
