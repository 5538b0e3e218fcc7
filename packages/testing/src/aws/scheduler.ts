import {
  AwsServiceError,
  inRange,
  type LoopbackResponse,
  type RestRequest,
  requireString,
} from './protocol.js';

/** EventBridge Scheduler's state in the loopback: schedules by `group/name`. */
export class SchedulerLoopback {
  readonly schedules = new Map<string, Record<string, unknown>>();

  constructor(
    private readonly region: string,
    private readonly accountId: string,
  ) {}

  /** A schedule by name (and group, default `default`). */
  get(name: string, group = 'default'): Record<string, unknown> | undefined {
    return this.schedules.get(`${group}/${name}`);
  }

  handle(req: RestRequest): LoopbackResponse {
    const [collection, name] = req.segments;
    if (collection !== 'schedules' || !name)
      throw new AwsServiceError('UnknownOperationException', 'Unknown operation', 404);
    const group =
      req.method === 'GET' || req.method === 'DELETE'
        ? (req.query.get('groupName') ?? 'default')
        : String(req.body.GroupName ?? 'default');
    const key = `${group}/${name}`;
    const existing = this.schedules.get(key);
    switch (req.method) {
      case 'POST':
        if (existing) throw new AwsServiceError('ConflictException', `Schedule ${name} already exists.`, 409);
        return { body: { ScheduleArn: this.store(key, name, group, req.body, undefined) } };
      case 'PUT':
        if (!existing)
          throw new AwsServiceError('ResourceNotFoundException', `Schedule ${name} does not exist.`, 404);
        return { body: { ScheduleArn: this.store(key, name, group, req.body, existing) } };
      case 'GET':
        if (!existing)
          throw new AwsServiceError('ResourceNotFoundException', `Schedule ${name} does not exist.`, 404);
        return { body: existing };
      case 'DELETE':
        if (!existing)
          throw new AwsServiceError('ResourceNotFoundException', `Schedule ${name} does not exist.`, 404);
        this.schedules.delete(key);
        return { body: {} };
    }
    throw new AwsServiceError('UnknownOperationException', 'Unknown operation', 404);
  }

  private store(
    key: string,
    name: string,
    group: string,
    body: Record<string, unknown>,
    existing: Record<string, unknown> | undefined,
  ): string {
    validate(body);
    const arn = `arn:aws:scheduler:${this.region}:${this.accountId}:schedule/${group}/${name}`;
    const now = Date.now() / 1000;
    // Update replaces the whole definition, as the real UpdateSchedule does.
    this.schedules.set(key, {
      ...body,
      Name: name,
      GroupName: group,
      Arn: arn,
      State: body.State ?? 'ENABLED',
      CreationDate: existing?.CreationDate ?? now,
      LastModificationDate: now,
    });
    return arn;
  }
}

const EXPRESSION =
  /^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\((\S+ ){5}\S+\)|at\(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\))$/;

function validate(body: Record<string, unknown>): void {
  const expression = requireString(body, 'ScheduleExpression');
  if (!EXPRESSION.test(expression))
    throw new AwsServiceError('ValidationException', `Invalid Schedule Expression ${expression}.`);
  const mode = (body.FlexibleTimeWindow as { Mode?: string } | undefined)?.Mode;
  if (mode !== 'OFF' && mode !== 'FLEXIBLE')
    throw new AwsServiceError('ValidationException', 'FlexibleTimeWindow.Mode must be OFF or FLEXIBLE.');
  const zone = body.ScheduleExpressionTimezone;
  if (zone !== undefined) {
    try {
      new Intl.DateTimeFormat('en-US', { timeZone: String(zone) });
    } catch {
      throw new AwsServiceError('ValidationException', `Invalid ScheduleExpressionTimezone ${String(zone)}.`);
    }
  }
  const target = body.Target as Record<string, unknown> | undefined;
  if (!target) throw new AwsServiceError('ValidationException', 'Target is required.');
  requireString(target, 'Arn');
  const role = requireString(target, 'RoleArn');
  if (!/^arn:aws[a-z-]*:iam::\d{12}:role\/.+$/.test(role))
    throw new AwsServiceError('ValidationException', `Invalid RoleArn ${role}.`);
  if (target.Input !== undefined) {
    try {
      JSON.parse(String(target.Input));
    } catch {
      throw new AwsServiceError(
        'ValidationException',
        'Target.Input must be valid JSON for a Lambda target.',
      );
    }
  }
  const retry = target.RetryPolicy as Record<string, unknown> | undefined;
  inRange(retry?.MaximumRetryAttempts, 0, 185, 'RetryPolicy.MaximumRetryAttempts');
  inRange(retry?.MaximumEventAgeInSeconds, 60, 86400, 'RetryPolicy.MaximumEventAgeInSeconds');
}
