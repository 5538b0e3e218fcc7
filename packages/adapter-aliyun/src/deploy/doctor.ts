import {
  check,
  type DeclarativeQuery,
  type DoctorCheck,
  type DoctorOptions,
  type DoctorReport,
  describeError,
  driftCheck,
  driftOf,
  fieldsOf,
  sinkCheck,
  sourceOfEnvironment,
  type WindowedJob,
} from '@windowed/core';
import { credentialsFromEnv } from '../credentials.js';
import { parseSlsSourceOptions } from '../sls/options.js';
import { createFcApi, type FcApi } from './fc-api.js';
import type { ResolvedFcDeployOptions } from './options.js';
import { planFcDeployment } from './plan.js';
import { secretChecks } from './secret-doctor.js';

const notFound = (error: unknown) =>
  /NotFound|NotExist|failed with 404/.test(
    `${(error as Error)?.name} ${(error as { code?: unknown })?.code} ${(error as Error)?.message}`,
  );

/**
 * A read-only check of an Alibaba Cloud account against the plan: credentials, function (and FC
 * 2.0 service), timer trigger, async-invoke config, the KMS secrets the database URLs name, the SLS logstore's index (each field the query
 * reads indexed with statistics enabled) and (optionally) the sink. RAM has no policy simulation
 * API, so the role is not checked here: compare it with `windowed policy`.
 */
export async function doctorFc(
  job: Pick<WindowedJob, 'name' | 'windowSpec'> & { query?: DeclarativeQuery | undefined },
  options: ResolvedFcDeployOptions,
  doctor: DoctorOptions & { api?: FcApi; kmsEndpoint?: string } = {},
): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const done = () => ({ target: 'aliyun' as const, ok: checks.every((c) => c.status !== 'fail'), checks });
  let api: FcApi;
  try {
    api =
      doctor.api ??
      (await createFcApi(options, { ...(doctor.endpoint ? { endpoint: doctor.endpoint } : {}) }));
  } catch (error) {
    checks.push(check('credentials', 'credentials resolve', 'fail', describeError(error)));
    return done();
  }
  const plan = planFcDeployment(job, options, {});
  const body = (api: string) =>
    (plan.steps.find((s) => s.api === api)?.input.body ?? {}) as Record<string, unknown>;
  // The first call tells whether the credentials are accepted.
  const fn = await functionCheck(api, options, body);
  if (fn.credentials) {
    checks.push(fn.credentials);
    return done();
  }
  checks.push(
    check(
      'credentials',
      'credentials resolve',
      'ok',
      `FC accepted the credentials (account ${options.accountId}).`,
    ),
  );
  checks.push(...fn.checks);
  const exists = fn.checks.every((c) => c.status === 'ok' || c.drift !== undefined);
  checks.push(
    await asyncConfigCheck(
      api,
      exists,
      body(options.fcVersion === 3 ? 'PutAsyncInvokeConfig' : 'PutFunctionAsyncInvokeConfig'),
    ),
  );
  checks.push(await triggerCheck(api, options, exists, body('CreateTrigger').triggerConfig));
  checks.push(
    check(
      'role',
      "the function's role grants what `windowed policy` lists",
      'skip',
      'RAM offers no policy simulation: compare the role with `windowed policy --target aliyun`.',
    ),
  );
  checks.push(...(await secretChecks(options, doctor.kmsEndpoint)));
  checks.push(await indexCheck(job, options));
  if (doctor.sink) checks.push(await sinkCheck(doctor.checkSink));
  return done();
}

async function functionCheck(
  api: FcApi,
  options: ResolvedFcDeployOptions,
  body: (api: string) => Record<string, unknown>,
): Promise<{ checks: DoctorCheck[]; credentials?: DoctorCheck }> {
  const checks: DoctorCheck[] = [];
  /** Reads one resource and checks it against the plan; the error when it could not be read. */
  const inspect = async (
    id: 'service' | 'function',
    name: string,
    read: () => Promise<object>,
    planned: Record<string, unknown>,
    what: string,
  ): Promise<unknown> => {
    const title = `${id} ${name}`;
    try {
      checks.push(driftCheck(id, title, driftOf(planned, await read()), what));
      return undefined;
    } catch (error) {
      if (!denied(error)) {
        const detail = notFound(error)
          ? `${name} does not exist: run \`windowed deploy\`.`
          : describeError(error);
        checks.push(check(id, title, 'fail', detail));
      }
      return error;
    }
  };
  const refused = (error: unknown) => ({
    checks,
    credentials: check(
      'credentials',
      'credentials resolve',
      'fail',
      `FC refused them: ${describeError(error)}`,
    ),
  });
  if (options.fcVersion === 2) {
    const { role, logConfig } = body('CreateService');
    const error = await inspect(
      'service',
      String(options.service),
      () => api.getService(),
      { role, logConfig },
      'The service',
    );
    if (error !== undefined) return denied(error) ? refused(error) : { checks };
  }
  const { handler, runtime, memorySize, timeout, environmentVariables, description, role } =
    body('CreateFunction');
  const error = await inspect(
    'function',
    options.functionName,
    () => api.getFunction(),
    { handler, runtime, memorySize, timeout, environmentVariables, description, role },
    'Its configuration',
  );
  return error !== undefined && denied(error) ? refused(error) : { checks };
}

/** FC refused the credentials themselves (as opposed to a missing resource). */
function denied(error: unknown): boolean {
  return /InvalidAccessKeyI[dD]|SignatureNotMatch|SignatureDoesNotMatch|InvalidSecurityToken|AccessDenied|failed with 403|code: 403/.test(
    `${(error as { code?: unknown })?.code} ${(error as Error)?.message}`,
  );
}

async function asyncConfigCheck(
  api: FcApi,
  exists: boolean,
  expected: Record<string, unknown>,
): Promise<DoctorCheck> {
  const title = 'retries and failure destination';
  if (!exists) return check('invoke-config', title, 'skip', 'The function does not exist.');
  try {
    const actual = await api.getAsyncConfig();
    return driftCheck('invoke-config', title, driftOf(expected, actual), 'The async-invoke config');
  } catch (error) {
    return check(
      'invoke-config',
      title,
      'fail',
      notFound(error)
        ? 'The function has no async-invoke config: failures would go nowhere. Run `windowed deploy`.'
        : describeError(error),
    );
  }
}

async function triggerCheck(
  api: FcApi,
  options: ResolvedFcDeployOptions,
  exists: boolean,
  planned: unknown,
): Promise<DoctorCheck> {
  const title = `timer trigger ${options.triggerName}`;
  if (!exists) return check('schedule', title, 'skip', 'The function does not exist.');
  try {
    const actual = await api.getTrigger();
    return driftCheck(
      'schedule',
      title,
      driftOf({ triggerConfig: typeof planned === 'string' ? JSON.parse(planned) : planned }, actual),
      'The timer',
    );
  } catch (error) {
    return check(
      'schedule',
      title,
      'fail',
      notFound(error)
        ? `The timer ${options.triggerName} does not exist: run \`windowed deploy\`.`
        : describeError(error),
    );
  }
}

/**
 * SQL sees only fields indexed with statistics enabled ("Enable Analytics", `doc_value`), so each
 * field the job's query reads must be.
 * https://www.alibabacloud.com/help/en/sls/user-guide/create-indexes
 */
async function indexCheck(
  job: { query?: DeclarativeQuery | undefined },
  options: ResolvedFcDeployOptions,
): Promise<DoctorCheck> {
  const title = "the logstore's index has the query's fields with statistics";
  const raw = sourceOfEnvironment(options.environmentVariables);
  if (raw?.type !== 'sls') return check('logs', title, 'skip', 'The source is not SLS.');
  if (!job.query) return check('logs', title, 'skip', 'The query is a function: its fields are not known.');
  const source = parseSlsSourceOptions(raw);
  const credentials = source.accessKeyId
    ? { accessKeyId: source.accessKeyId, accessKeySecret: source.accessKeySecret ?? '' }
    : credentialsFromEnv();
  if (!credentials)
    return check(
      'logs',
      title,
      'fail',
      'No credentials to read the index: set ALIBABA_CLOUD_ACCESS_KEY_ID/_SECRET.',
    );
  try {
    const { default: Client } = (await import('@alicloud/sls20201230')) as unknown as {
      default: new (
        config: Record<string, unknown>,
      ) => {
        getIndex(
          project: string,
          logstore: string,
        ): Promise<{ body?: { keys?: Record<string, { docValue?: boolean; doc_value?: boolean }> } }>;
      };
    };
    const client = new Client({
      endpoint: source.endpointInfo.host,
      protocol: source.endpointInfo.protocol,
      accessKeyId: credentials.accessKeyId,
      accessKeySecret: credentials.accessKeySecret,
    });
    const index = await client.getIndex(source.project, source.logstore);
    const keys = index.body?.keys ?? {};
    const fields = fieldsOf(job.query).filter((f) => f !== '__time__');
    // The SDK leaves the map's values as SLS sent them (`doc_value`), or maps them (`docValue`).
    const missing = fields.filter((f) => (keys[f]?.docValue ?? keys[f]?.doc_value) !== true);
    return missing.length
      ? check(
          'logs',
          title,
          'fail',
          `${missing.map((f) => (keys[f] ? `${f} (indexed, statistics off)` : `${f} (not indexed)`)).join(', ')}: ` +
            `index them with statistics enabled ("Enable Analytics") on ${source.project}/${source.logstore}; SQL sees only data written after that.`,
        )
      : check(
          'logs',
          title,
          'ok',
          `${source.project}/${source.logstore}: ${fields.join(', ') || 'no fields'} with statistics.`,
        );
  } catch (error) {
    return check(
      'logs',
      title,
      'fail',
      notFound(error)
        ? `${source.project}/${source.logstore} has no index (or does not exist): the query cannot run.`
        : `GetIndex failed: ${describeError(error)}`,
    );
  }
}
