import { randomUUID } from 'node:crypto';
import {
  evaluateInsightsQuery,
  type InsightsRecord,
  InsightsSyntaxError,
  parseInsightsQuery,
} from './insights.js';
import { AwsServiceError, requireString } from './protocol.js';

export interface LogEventInput {
  /** Epoch ms, or a Date. */
  timestamp: number | Date;
  /** Text, or an object written as one JSON line. */
  message: string | Record<string, unknown>;
  logStream?: string;
}

export type QueryStatus =
  | 'Scheduled'
  | 'Running'
  | 'Complete'
  | 'Failed'
  | 'Cancelled'
  | 'Timeout'
  | 'Unknown';

export interface LoopbackQuery {
  queryId: string;
  queryString: string;
  logGroupNames: string[];
  startTime: number;
  endTime: number;
  limit: number;
  status: QueryStatus;
  /** GetQueryResults calls left that answer Running. */
  runningPolls: number;
  results: Array<Record<string, string>>;
  recordsMatched: number;
  recordsScanned: number;
  stopped: boolean;
}

interface StoredEvent {
  timestamp: number;
  message: string;
  logStream: string;
  ingestionTime: number;
}

const ACTIVE: QueryStatus[] = ['Scheduled', 'Running'];

/** CloudWatch Logs in the loopback: log groups with events, and Logs Insights queries over them. */
export class LogsLoopback {
  readonly groups = new Map<string, StoredEvent[]>();
  readonly queries = new Map<string, LoopbackQuery>();
  /**
   * Concurrent Insights queries the account allows: 100 ("You can have up to 100 concurrent
   * CloudWatch Logs insights queries, including queries that have been added to dashboards").
   * https://docs.aws.amazon.com/AmazonCloudWatchLogs/latest/APIReference/API_StartQuery.html
   */
  maxConcurrentQueries = 100;
  /** GetQueryResults polls that answer Running before Complete. */
  runningPolls = 1;
  /** While true, queries stay Running (to exercise deadlines and the concurrency limit). */
  hold = false;
  private nextOutcome: QueryStatus | undefined;

  constructor(private readonly accountId: string) {}

  /** Adds events to a log group (created if missing), as PutLogEvents would. */
  putEvents(logGroupName: string, events: LogEventInput[]): void {
    const stored = this.groups.get(logGroupName) ?? [];
    for (const event of events) {
      stored.push({
        timestamp: event.timestamp instanceof Date ? event.timestamp.getTime() : event.timestamp,
        message: typeof event.message === 'string' ? event.message : JSON.stringify(event.message),
        logStream: event.logStream ?? 'stream-1',
        ingestionTime: Date.now(),
      });
    }
    this.groups.set(logGroupName, stored);
  }

  /** The next query ends with this status instead of Complete. */
  failNextQuery(status: 'Failed' | 'Timeout' | 'Cancelled'): void {
    this.nextOutcome = status;
  }

  /** Queries still Scheduled or Running. */
  activeQueries(): LoopbackQuery[] {
    return [...this.queries.values()].filter((q) => ACTIVE.includes(q.status));
  }

  handle(operation: string, body: Record<string, unknown>): unknown {
    switch (operation) {
      case 'CreateLogGroup': {
        const name = requireString(body, 'logGroupName');
        if (this.groups.has(name))
          throw new AwsServiceError(
            'ResourceAlreadyExistsException',
            'The specified log group already exists',
          );
        this.groups.set(name, []);
        return {};
      }
      case 'CreateLogStream':
        this.group(requireString(body, 'logGroupName'));
        return {};
      case 'PutLogEvents': {
        const group = requireString(body, 'logGroupName');
        this.group(group);
        const stream = requireString(body, 'logStreamName');
        const events = (body.logEvents as Array<{ timestamp: number; message: string }>) ?? [];
        this.putEvents(
          group,
          events.map((e) => ({ ...e, logStream: stream })),
        );
        return {};
      }
      case 'StartQuery':
        return this.startQuery(body);
      case 'GetQueryResults':
        return this.getQueryResults(requireString(body, 'queryId'));
      case 'StopQuery': {
        const query = this.queries.get(requireString(body, 'queryId'));
        if (!query) throw new AwsServiceError('ResourceNotFoundException', 'Query does not exist.');
        if (!ACTIVE.includes(query.status)) return { success: false };
        query.status = 'Cancelled';
        query.stopped = true;
        return { success: true };
      }
    }
    throw new AwsServiceError('UnknownOperationException', `Unknown operation ${operation}`);
  }

  private startQuery(body: Record<string, unknown>): unknown {
    const names =
      (body.logGroupNames as string[] | undefined) ??
      (body.logGroupIdentifiers as string[] | undefined) ??
      (body.logGroupName ? [String(body.logGroupName)] : []);
    if (names.length === 0 || names.length > 50)
      throw new AwsServiceError('InvalidParameterException', 'Specify between 1 and 50 log groups.');
    const startTime = body.startTime;
    const endTime = body.endTime;
    if (
      typeof startTime !== 'number' ||
      typeof endTime !== 'number' ||
      !Number.isInteger(startTime) ||
      !Number.isInteger(endTime) ||
      endTime < startTime
    ) {
      throw new AwsServiceError(
        'InvalidParameterException',
        'startTime and endTime must be epoch seconds with endTime >= startTime.',
      );
    }
    const limit = body.limit === undefined ? 10_000 : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000)
      throw new AwsServiceError('InvalidParameterException', 'limit must be 1 to 10000.');
    const queryString = requireString(body, 'queryString');
    const groups = names.map((name) => {
      const group = name.includes(':log-group:') ? name.split(':log-group:')[1]!.replace(/:\*$/, '') : name;
      return { name: group, events: this.group(group) };
    });
    if (this.activeQueries().length >= this.maxConcurrentQueries) {
      throw new AwsServiceError(
        'LimitExceededException',
        `Account maximum query concurrency limit of [${this.maxConcurrentQueries}] reached.`,
      );
    }
    let commands: ReturnType<typeof parseInsightsQuery>;
    try {
      commands = parseInsightsQuery(queryString);
    } catch (error) {
      if (error instanceof InsightsSyntaxError)
        throw new AwsServiceError('MalformedQueryException', error.message);
      throw error;
    }
    // Both ends are inclusive, but not to the second: CloudWatch converts them straight to
    // milliseconds, so `endTime` covers only its first millisecond, `endTime * 1000` (the
    // CloudWatch team in https://github.com/aws/aws-sdk/issues/280). An event at t+59.5 s is
    // outside endTime = t+59.
    const from = startTime * 1000;
    const to = endTime * 1000;
    const records: InsightsRecord[] = [];
    let scanned = 0;
    for (const group of groups) {
      for (const event of group.events) {
        if (event.timestamp < from || event.timestamp > to) continue;
        scanned++;
        records.push(toRecord(event, `${this.accountId}:${group.name}`));
      }
    }
    let results: Array<Record<string, string>>;
    try {
      results = evaluateInsightsQuery(commands, records);
    } catch (error) {
      if (error instanceof InsightsSyntaxError)
        throw new AwsServiceError('MalformedQueryException', error.message);
      throw error;
    }
    const outcome = this.nextOutcome;
    this.nextOutcome = undefined;
    const query: LoopbackQuery = {
      queryId: randomUUID(),
      queryString,
      logGroupNames: groups.map((g) => g.name),
      startTime,
      endTime,
      limit,
      status: outcome === undefined ? 'Scheduled' : outcome,
      runningPolls: this.runningPolls,
      // Insights returns at most `limit` rows; windowed must notice the cut.
      results: results.slice(0, limit),
      recordsMatched: records.length,
      recordsScanned: scanned,
      stopped: false,
    };
    this.queries.set(query.queryId, query);
    return { queryId: query.queryId };
  }

  private getQueryResults(queryId: string): unknown {
    const query = this.queries.get(queryId);
    if (!query) throw new AwsServiceError('ResourceNotFoundException', 'Query does not exist.');
    if (ACTIVE.includes(query.status) && !this.hold) {
      if (query.runningPolls > 0) {
        query.runningPolls--;
        query.status = 'Running';
      } else query.status = 'Complete';
    } else if (query.status === 'Scheduled') query.status = 'Running';
    const complete = query.status === 'Complete';
    return {
      status: query.status,
      results: complete
        ? query.results.map((row) => Object.entries(row).map(([field, value]) => ({ field, value })))
        : [],
      statistics: {
        recordsMatched: complete ? query.recordsMatched : 0,
        recordsScanned: query.recordsScanned,
        bytesScanned: query.recordsScanned * 100,
      },
    };
  }

  private group(name: string): StoredEvent[] {
    const events = this.groups.get(name);
    if (!events) throw new AwsServiceError('ResourceNotFoundException', `Log group ${name} does not exist.`);
    return events;
  }
}

function toRecord(event: StoredEvent, log: string): InsightsRecord {
  const record: InsightsRecord = {
    '@timestamp': new Date(event.timestamp),
    '@message': event.message,
    '@logStream': event.logStream,
    '@log': log,
    '@ingestionTime': new Date(event.ingestionTime),
  };
  try {
    const parsed: unknown = JSON.parse(event.message);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed))
      flatten(parsed as Record<string, unknown>, '', record);
  } catch {
    // Not JSON: only the discovered fields.
  }
  return record;
}

/** JSON fields are discovered with dot notation for nested objects. */
function flatten(object: Record<string, unknown>, prefix: string, into: InsightsRecord): void {
  for (const [key, value] of Object.entries(object)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'object' && value !== null && !Array.isArray(value))
      flatten(value as Record<string, unknown>, name, into);
    else into[name] = value;
  }
}
