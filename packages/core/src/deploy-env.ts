import { WindowedError } from './errors.js';
import type { DeployResources } from './platform.js';

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
      env.WINDOWED_SINK = sink.table
        ? `${sink.url}${sink.url.includes('?') ? '&' : '?'}table=${encodeURIComponent(sink.table)}`
        : sink.url;
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
