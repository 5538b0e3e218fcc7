import { createHash, randomUUID } from 'node:crypto';
import { AwsServiceError, requireString } from './protocol.js';

interface QueuedMessage {
  messageId: string;
  body: string;
  receiptHandle?: string;
  invisibleUntil: number;
  receiveCount: number;
}

/** SQS queues in the loopback (JSON 1.0, `X-Amz-Target: AmazonSQS.*`): enough to drain a failure queue. */
export class SqsLoopback {
  readonly queues = new Map<string, QueuedMessage[]>();

  constructor(
    private readonly endpoint: () => string,
    private readonly accountId: string,
  ) {}

  /** Creates a queue (if missing) and returns its URL. */
  createQueue(name: string): string {
    const url = `${this.endpoint()}/${this.accountId}/${name}`;
    if (!this.queues.has(name)) this.queues.set(name, []);
    return url;
  }

  send(queueName: string, body: string): string {
    const messages = this.queue(queueName);
    const messageId = randomUUID();
    messages.push({ messageId, body, invisibleUntil: 0, receiveCount: 0 });
    return messageId;
  }

  /** Messages still in a queue (received but not deleted ones included). */
  messages(queueName: string): string[] {
    return this.queue(queueName).map((m) => m.body);
  }

  handle(operation: string, body: Record<string, unknown>): unknown {
    switch (operation) {
      case 'CreateQueue':
        return { QueueUrl: this.createQueue(requireString(body, 'QueueName')) };
      case 'SendMessage': {
        const text = requireString(body, 'MessageBody');
        const messageId = this.send(this.nameOf(body), text);
        return { MessageId: messageId, MD5OfMessageBody: md5(text) };
      }
      case 'ReceiveMessage': {
        const messages = this.queue(this.nameOf(body));
        const max = maxNumberOfMessages(body.MaxNumberOfMessages);
        const visibility = Number(body.VisibilityTimeout ?? 30) * 1000;
        const now = Date.now();
        const picked = messages.filter((m) => m.invisibleUntil <= now).slice(0, max);
        for (const message of picked) {
          message.receiptHandle = randomUUID();
          message.invisibleUntil = now + visibility;
          message.receiveCount++;
        }
        return {
          Messages: picked.map((m) => ({
            MessageId: m.messageId,
            ReceiptHandle: m.receiptHandle,
            MD5OfBody: md5(m.body),
            Body: m.body,
          })),
        };
      }
      case 'DeleteMessage': {
        const messages = this.queue(this.nameOf(body));
        const handle = requireString(body, 'ReceiptHandle');
        const at = messages.findIndex((m) => m.receiptHandle === handle);
        if (at < 0)
          throw new AwsServiceError('ReceiptHandleIsInvalid', `The receipt handle "${handle}" is not valid.`);
        messages.splice(at, 1);
        return {};
      }
    }
    throw new AwsServiceError('UnknownOperationException', `Unknown operation ${operation}`);
  }

  private nameOf(body: Record<string, unknown>): string {
    return requireString(body, 'QueueUrl').split('/').pop()!;
  }

  private queue(name: string): QueuedMessage[] {
    const messages = this.queues.get(name);
    if (!messages) throw new AwsServiceError('QueueDoesNotExist', 'The specified queue does not exist.');
    return messages;
  }
}

/**
 * "MaxNumberOfMessages: The maximum number of messages to return. … Valid values: 1 to 10.
 * Default: 1." SQS refuses anything else with InvalidParameterValue, worded as below.
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ReceiveMessage.html
 */
function maxNumberOfMessages(value: unknown): number {
  if (value === undefined) return 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 10) {
    throw new AwsServiceError(
      'InvalidParameterValue',
      `Value ${String(value)} for parameter MaxNumberOfMessages is invalid. Reason: Must be between 1 and 10, if provided.`,
    );
  }
  return value;
}

function md5(text: string): string {
  return createHash('md5').update(text).digest('hex');
}
