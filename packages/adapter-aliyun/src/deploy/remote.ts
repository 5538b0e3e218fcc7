import { type RemoteFunction, sourceOfEnvironment, WindowedError } from '@windowed/core';
import { createFcClient, type FcClientOptions } from './fc-api.js';
import type { ResolvedFcDeployOptions } from './options.js';

/**
 * Concurrent SLS analytic statements (SQL) a project runs in Standard SQL mode: 15, per "Query and
 * analysis" limits (https://www.alibabacloud.com/help/doc-detail/92572.html); search statements
 * alone allow 100 per project (same page). Every query the `sls` source sends is an analytic
 * statement, and each chunk in flight runs one at a time.
 */
const SLS_CONCURRENT_ANALYTIC_STATEMENTS = 15;
/** With a source that is not SLS, the sink's connections are the bound. */
const NO_SOURCE_QUOTA = 100;

/**
 * The deployed FC 2.0 function, invoked asynchronously for each chunk: `POST …/invocations` with
 * `X-Fc-Invocation-Type: Async` is answered 202 once queued; FC retries per the function's async
 * configuration, then delivers to its onFailure destination.
 * https://www.alibabacloud.com/help/en/fc/developer-reference/api-fc-open-2021-04-06-invokefunction
 * (202 for an accepted async call: https://help.aliyun.com/en/functioncompute/call-example)
 */
export async function fcRemote(
  options: ResolvedFcDeployOptions,
  settings: Omit<FcClientOptions, 'accountId' | 'region'>,
): Promise<RemoteFunction> {
  if (options.fcVersion === 3)
    throw new WindowedError(
      'INVALID_CONFIG',
      'windowed backfill --remote invokes FC 2.0 functions (deploy.fcVersion 2); FC 3.0 is not supported yet. Run the backfill locally.',
    );
  // Created at the first invocation: the function's facts (timeout, quota) need no credentials.
  let client: ReturnType<typeof createFcClient> | undefined;
  const service = options.service ?? '';
  const sls = sourceOfEnvironment(options.environmentVariables)?.type === 'sls';
  return {
    name: `${service}/${options.functionName}`,
    timeoutMs: options.timeout * 1000,
    sourceLimit: sls
      ? {
          max: SLS_CONCURRENT_ANALYTIC_STATEMENTS,
          reason: `SLS runs at most ${SLS_CONCURRENT_ANALYTIC_STATEMENTS} concurrent analytic statements per project`,
        }
      : { max: NO_SOURCE_QUOTA, reason: 'the source has no documented concurrent-query quota' },
    async invokeAsync(payload) {
      client ??= createFcClient({ accountId: options.accountId, region: options.region, ...settings });
      const response = await (await client).invokeFunction(
        service,
        options.functionName,
        JSON.stringify(payload),
        { 'X-Fc-Invocation-Type': 'Async' },
        options.qualifier,
      );
      const requestId = response.headers?.['x-fc-request-id'];
      return requestId ? { requestId } : {};
    },
    close: () => {},
  };
}
