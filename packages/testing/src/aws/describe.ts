import type { LogsLoopback } from './logs.js';
import { AwsServiceError, requireString } from './protocol.js';
import type { SqsLoopback } from './sqs.js';

/**
 * The read-only calls `windowed doctor` makes of CloudWatch Logs and SQS, answered from the
 * loopback's state (kept apart from logs.ts and sqs.ts, which play the data plane).
 */
export function describeCall(
  service: 'logs' | 'sqs',
  operation: string,
  body: Record<string, unknown>,
  state: { logs: LogsLoopback; sqs: SqsLoopback; region: string; accountId: string; endpoint: string },
): { handled: true; body: unknown } | { handled: false } {
  if (service === 'logs' && operation === 'DescribeLogGroups') {
    // https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_DescribeLogGroups.html
    const prefix = typeof body.logGroupNamePrefix === 'string' ? body.logGroupNamePrefix : '';
    const logGroups = [...state.logs.groups.keys()]
      .filter((name) => name.startsWith(prefix))
      .sort()
      .map((logGroupName) => ({
        logGroupName,
        arn: `arn:aws:logs:${state.region}:${state.accountId}:log-group:${logGroupName}:*`,
        creationTime: 0,
        storedBytes: 0,
      }));
    return { handled: true, body: { logGroups } };
  }
  if (service === 'sqs' && operation === 'GetQueueUrl') {
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueUrl.html
    const name = requireString(body, 'QueueName');
    if (!state.sqs.queues.has(name))
      throw new AwsServiceError('QueueDoesNotExist', 'The specified queue does not exist.');
    return { handled: true, body: { QueueUrl: `${state.endpoint}/${state.accountId}/${name}` } };
  }
  if (service === 'sqs' && operation === 'GetQueueAttributes') {
    // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
    // FifoQueue is an attribute of FIFO queues only (their names end in .fifo).
    const name = requireString(body, 'QueueUrl').split('/').pop()!;
    if (!state.sqs.queues.has(name))
      throw new AwsServiceError('QueueDoesNotExist', 'The specified queue does not exist.');
    return {
      handled: true,
      body: {
        Attributes: {
          QueueArn: `arn:aws:sqs:${state.region}:${state.accountId}:${name}`,
          ...(name.endsWith('.fifo') ? { FifoQueue: 'true' } : {}),
        },
      },
    };
  }
  return { handled: false };
}
