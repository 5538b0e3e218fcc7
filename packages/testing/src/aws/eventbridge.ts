import { AwsServiceError, requireString } from './protocol.js';

/** EventBridge rules and targets in the loopback (JSON 1.1, `X-Amz-Target: AWSEvents.*`). */
export class EventBridgeLoopback {
  readonly rules = new Map<string, Record<string, unknown>>();
  readonly targets = new Map<string, Array<Record<string, unknown>>>();
  private failTargets: { code: string; message: string } | undefined;

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  /**
   * Makes the next PutTargets report its entries as failed, the way EventBridge does: HTTP 200 with
   * `FailedEntryCount` > 0 and no exception.
   */
  failNextPutTargets(
    code = 'ConcurrentModificationException',
    message = 'Rule was modified concurrently.',
  ): void {
    this.failTargets = { code, message };
  }

  handle(operation: string, body: Record<string, unknown>): unknown {
    switch (operation) {
      case 'PutRule': {
        const name = requireString(body, 'Name');
        const arn = `arn:aws:events:${this.region}:${this.accountId}:rule/${name}`;
        const expression = body.ScheduleExpression;
        if (
          expression !== undefined &&
          !/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\((\S+ ){5}\S+\))$/.test(
            String(expression),
          )
        ) {
          throw new AwsServiceError('ValidationException', 'Parameter ScheduleExpression is not valid.');
        }
        this.rules.set(name, {
          Name: name,
          Arn: arn,
          EventBusName: 'default',
          State: body.State ?? 'ENABLED',
          ...body,
        });
        return { RuleArn: arn };
      }
      case 'DescribeRule': {
        const rule = this.rules.get(requireString(body, 'Name'));
        if (!rule)
          throw new AwsServiceError('ResourceNotFoundException', `Rule ${String(body.Name)} does not exist.`);
        return rule;
      }
      case 'PutTargets': {
        const rule = requireString(body, 'Rule');
        if (!this.rules.has(rule))
          throw new AwsServiceError('ResourceNotFoundException', `Rule ${rule} does not exist.`);
        const entries = (body.Targets as Array<Record<string, unknown>>) ?? [];
        if (this.failTargets) {
          const failure = this.failTargets;
          this.failTargets = undefined;
          return {
            FailedEntryCount: entries.length,
            FailedEntries: entries.map((t) => ({
              TargetId: t.Id,
              ErrorCode: failure.code,
              ErrorMessage: failure.message,
            })),
          };
        }
        const current = this.targets.get(rule) ?? [];
        for (const entry of entries) {
          const at = current.findIndex((t) => t.Id === entry.Id);
          if (at >= 0) current[at] = entry;
          else current.push(entry);
        }
        this.targets.set(rule, current);
        return { FailedEntryCount: 0, FailedEntries: [] };
      }
      case 'ListTargetsByRule':
        return { Targets: this.targets.get(requireString(body, 'Rule')) ?? [] };
    }
    throw new AwsServiceError('UnknownOperationException', `Unknown operation ${operation}`);
  }
}
