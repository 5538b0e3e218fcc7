import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { type RemoteFunction, sourceOfEnvironment, WindowedError } from '@windowed/core';
import { type LambdaDeployOptions, lambdaIdentity } from './options.js';

/**
 * Concurrent CloudWatch Logs Insights queries an account may run, dashboards included: "You can
 * have up to 30 concurrent CloudWatch Logs insights queries" (StartQuery API reference,
 * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html). The
 * user guide now says 100 per account
 * (https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/CloudWatchLogs-Insights-Query-History.html);
 * the lower figure is kept because the quota is shared with the schedule's own runs and dashboards.
 * Each chunk in flight runs one query at a time.
 */
const INSIGHTS_CONCURRENT_QUERIES = 30;
/** With a source that is not CloudWatch, the sink's connections are the bound. */
const NO_SOURCE_QUOTA = 100;

/** The deployed Lambda function, invoked with `InvocationType: Event` for each chunk. */
export function lambdaRemote(
  options: LambdaDeployOptions,
  job: { name: string },
  endpoint: string | undefined,
): RemoteFunction {
  const { functionName } = lambdaIdentity(options, job);
  const client = new LambdaClient({ region: options.region, ...(endpoint ? { endpoint } : {}) });
  const cloudwatch = sourceOfEnvironment(options.environment)?.type === 'cloudwatch';
  return {
    name: functionName,
    timeoutMs: options.timeout * 1000,
    sourceLimit: cloudwatch
      ? {
          max: INSIGHTS_CONCURRENT_QUERIES,
          reason: `CloudWatch Logs Insights runs at most ${INSIGHTS_CONCURRENT_QUERIES} concurrent queries per account`,
        }
      : { max: NO_SOURCE_QUOTA, reason: 'the source has no documented concurrent-query quota' },
    async invokeAsync(payload) {
      // An Event invocation is queued and answered 202 at once; Lambda retries it twice by default
      // and then hands it to the OnFailure destination.
      // https://docs.aws.amazon.com/lambda/latest/dg/invocation-async.html
      const out = await client.send(
        new InvokeCommand({
          FunctionName: functionName,
          InvocationType: 'Event',
          Payload: new TextEncoder().encode(JSON.stringify(payload)),
        }),
      );
      if (out.StatusCode !== 202)
        throw new WindowedError(
          'DEPLOY_FAILED',
          `Lambda answered ${out.StatusCode} to the asynchronous invocation of ${functionName}; expected 202 (accepted).`,
        );
      return out.$metadata.requestId ? { requestId: out.$metadata.requestId } : {};
    },
    close: () => client.destroy(),
  };
}
