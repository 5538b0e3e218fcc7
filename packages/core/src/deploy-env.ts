import { WindowedError } from './errors.js';
import type { DeployResources } from './platform.js';
import { sinkUrl } from './sinks/create.js';

/**
 * The environment a deployed function reads its resources from (`WINDOWED_SOURCE`,
 * `WINDOWED_SINK`, `WINDOWED_STATE`, see `resolveResources`). A sink object cannot travel through
 * an environment variable: `INVALID_CONFIG`.
 */
export function resourceEnvironment(resources: DeployResources = {}): Record<string, string> {
  const env: Record<string, string> = {};
  if (resources.source !== undefined)
    env.WINDOWED_SOURCE =
      typeof resources.source === 'string' ? resources.source : JSON.stringify(resources.source);
  const sink = resources.sink;
  if (sink !== undefined) {
    if (typeof sink === 'string') env.WINDOWED_SINK = sink;
    else if ('url' in sink && typeof sink.url === 'string') {
      const url = sinkUrl(sink, 'sink URL');
      env.WINDOWED_SINK = sink.table
        ? `${url}${url.includes('?') ? '&' : '?'}table=${encodeURIComponent(sink.table)}`
        : url;
    } else {
      throw new WindowedError(
        'INVALID_CONFIG',
        'A sink object cannot be deployed: the function reads its sink from a URL. Give the cloud target a sink URL.',
      );
    }
  }
  if (resources.state !== undefined) env.WINDOWED_STATE = resources.state;
  return env;
}

/** The source a deployed function reads, from its environment (`WINDOWED_SOURCE` as JSON), if an object. */
export function sourceOfEnvironment(
  env: Record<string, string> | undefined,
): Record<string, unknown> | undefined {
  const text = env?.WINDOWED_SOURCE;
  if (!text?.startsWith('{')) return undefined;
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

/**
 * A policy document from single grants: one Allow statement per resource with its actions, as a
 * policy editor writes them. `style` picks IAM's (`Version 2012-10-17`, a lone action as a string)
 * or RAM's (`Version 1`, lists).
 */
export function grantsDocument(
  grants: ReadonlyArray<{ action: string; resource: string }>,
  style: 'iam' | 'ram',
): { Version: string; Statement: Array<Record<string, unknown>> } {
  const byResource = new Map<string, string[]>();
  for (const g of grants) {
    const actions = byResource.get(g.resource) ?? [];
    if (!actions.includes(g.action)) actions.push(g.action);
    byResource.set(g.resource, actions);
  }
  return {
    Version: style === 'iam' ? '2012-10-17' : '1',
    Statement: [...byResource].map(([resource, actions]) =>
      style === 'iam'
        ? { Effect: 'Allow', Action: actions.length === 1 ? actions[0] : actions, Resource: resource }
        : { Effect: 'Allow', Action: actions, Resource: [resource] },
    ),
  };
}
