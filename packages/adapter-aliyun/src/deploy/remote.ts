import { Readable } from 'node:stream';
import { type RemoteFunction, sourceOfEnvironment } from '@windowed/core';
import { createFc3Client, createFcClient, type FcClientOptions } from './fc-api.js';
import type { ResolvedFcDeployOptions } from './options.js';

/**
 * Concurrent SLS analytic statements (SQL) per project: 15 on the general-purpose instance, 100 with
 * Dedicated SQL (the `sls` source's `dedicatedSql: true`), per the "Query and analysis" limits,
 * "Analysis" table, "Concurrency" row (https://help.aliyun.com/en/sls/query-and-analysis1); search
 * statements alone allow 100 per project (same page). Every query the `sls` source sends is an
 * analytic statement, and each chunk in flight runs one at a time.
 */
const SLS_CONCURRENT_ANALYTIC_STATEMENTS = { standard: 15, dedicated: 100 } as const;
/** With a source that is not SLS, the sink's connections are the bound. */
const NO_SOURCE_QUOTA = 100;

/**
 * The deployed function, invoked asynchronously for each chunk; the call is answered 202 once
 * queued, and FC retries per the function's async configuration, then delivers to its onFailure
 * destination (202 for an accepted async call: https://help.aliyun.com/en/functioncompute/call-example).
 * - FC 2.0: `POST /2016-08-15/services/{service}/functions/{name}/invocations` with
 *   `X-Fc-Invocation-Type: Async` through `@alicloud/fc2`
 *   (https://www.alibabacloud.com/help/en/fc/developer-reference/api-fc-open-2021-04-06-invokefunction);
 * - FC 3.0: `POST /2023-03-30/functions/{name}/invocations?qualifier=` with
 *   `x-fc-invocation-type: Async` through `@alicloud/fc20230330` (ACS3-signed)
 *   (https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/developer-reference/api-fc-2023-03-30-invokefunction).
 */
export async function fcRemote(
  options: ResolvedFcDeployOptions,
  settings: Omit<FcClientOptions, 'accountId' | 'region'>,
): Promise<RemoteFunction> {
  const clientOptions = { accountId: options.accountId, region: options.region, ...settings };
  const source = sourceOfEnvironment(options.environmentVariables);
  const sls = source?.type === 'sls';
  const dedicated = source?.dedicatedSql === true;
  const slsQuota = SLS_CONCURRENT_ANALYTIC_STATEMENTS[dedicated ? 'dedicated' : 'standard'];
  // Created at the first invocation: the function's facts (timeout, quota) need no credentials.
  let invoke: ((event: string) => Promise<string | undefined>) | undefined;
  const fc2 = (): typeof invoke => {
    const client = createFcClient(clientOptions);
    return async (event) => {
      const response = await (await client).invokeFunction(
        options.service ?? '',
        options.functionName,
        event,
        { 'X-Fc-Invocation-Type': 'Async' },
        options.qualifier,
      );
      return response.headers?.['x-fc-request-id'];
    };
  };
  const fc3 = (): typeof invoke => {
    const created = createFc3Client(clientOptions);
    return async (event) => {
      const { sdk, client } = await created;
      const response = await client.invokeFunctionWithOptions(
        options.functionName,
        new sdk.InvokeFunctionRequest({
          body: Readable.from([Buffer.from(event)]),
          ...(options.qualifier ? { qualifier: options.qualifier } : {}),
        }),
        new sdk.InvokeFunctionHeaders({ xFcInvocationType: 'Async' }),
        {} as never,
      );
      response.body?.resume();
      return response.headers?.['x-fc-request-id'];
    };
  };
  return {
    name: options.fcVersion === 3 ? options.functionName : `${options.service ?? ''}/${options.functionName}`,
    timeoutMs: options.timeout * 1000,
    sourceLimit: sls
      ? {
          max: slsQuota,
          reason: `SLS runs at most ${slsQuota} concurrent analytic statements per project${
            dedicated ? ' with Dedicated SQL' : ' (100 with dedicatedSql: true)'
          }`,
        }
      : { max: NO_SOURCE_QUOTA, reason: 'the source has no documented concurrent-query quota' },
    async invokeAsync(payload) {
      invoke ??= options.fcVersion === 3 ? fc3() : fc2();
      const requestId = await invoke!(JSON.stringify(payload));
      return requestId ? { requestId } : {};
    },
    close: () => {},
  };
}
