import {
  grantsDocument,
  type PolicySet,
  type RolePolicy,
  sourceOfEnvironment,
  type WindowedJob,
} from '@windowed/core';
import type { ResolvedFcDeployOptions } from './options.js';
import { secretGrants } from './secret-grants.js';

type Grant = RolePolicy['actions'][number];

/**
 * The send action each kind of async destination needs. FC delivers a failed invocation's record
 * with the function's role (FC 3.0: the function's role; FC 2.0: its service's role), so the role
 * must allow it. https://help.aliyun.com/document_detail/2513637.html (destinations and permissions)
 */
function destinationGrants(arn: string, why: string): Grant[] {
  const [, service] = arn.split(':');
  switch (service) {
    case 'mns':
      return [
        { action: arn.includes(':/topics/') ? 'mns:PublishMessage' : 'mns:SendMessage', resource: arn, why },
      ];
    case 'fc':
      return [{ action: 'fc:InvokeFunction', resource: arn, why }];
    case 'eventbridge':
      return [{ action: 'eventbridge:PutEvents', resource: arn, why }];
    case 'mq':
      return [{ action: 'mq:PUB', resource: arn, why }];
  }
  return [];
}

/** The SLS source queries its logstore with GetLogsV2, which RAM authorizes as `log:GetLogStoreLogs`. */
function sourceGrants(
  source: Record<string, unknown> | undefined,
  region: string,
  accountId: string,
): Grant[] {
  if (source?.type !== 'sls') return [];
  const endpointRegion = /^(?:https?:\/\/)?([a-z]+-[a-z0-9-]+?)(?:-intranet)?\.log\.aliyuncs\.com/.exec(
    String(source.endpoint ?? ''),
  )?.[1];
  return [
    {
      action: 'log:GetLogStoreLogs',
      resource: `acs:log:${endpointRegion ?? region}:${accountId}:project/${String(source.project)}/logstore/${String(source.logstore)}`,
      why: 'query the logstore of the sls source',
    },
  ];
}

/**
 * The RAM policy of the function's role, derived from its options and the environment the function
 * reads: the source's `log:GetLogStoreLogs`, the KMS secrets its database URLs name, the
 * destinations' send actions, and (with `logConfig`)
 * writing its own logs. The role must trust `fc.aliyuncs.com`: FC assumes it to hand the function
 * STS credentials and to deliver to the destinations. A timer trigger needs no role.
 */
export function fcPolicies(options: ResolvedFcDeployOptions, job: Pick<WindowedJob, 'name'>): PolicySet {
  const accountId = options.accountId;
  const source = sourceOfEnvironment(options.environmentVariables);
  const grants: Grant[] = [
    ...sourceGrants(source, options.region, accountId),
    ...secretGrants(options.environmentVariables, options.region, accountId),
    ...destinationGrants(
      options.destination,
      'deliver the record of a failed invocation to the onFailure destination',
    ),
    ...(options.onSuccess
      ? destinationGrants(options.onSuccess, 'deliver to the onSuccess destination')
      : []),
    ...(options.logConfig
      ? [
          {
            action: 'log:PostLogStoreLogs',
            resource: `acs:log:${options.region}:${accountId}:project/${options.logConfig.project}/logstore/${options.logConfig.logstore}`,
            why: "write the function's logs",
          },
        ]
      : []),
  ];
  const notes = [
    'FC delivers to the async destination with this role, so the send permission belongs in its policy; the timer trigger needs no role.',
  ];
  if (source && source.type !== 'sls')
    notes.push(
      `The ${String(source.type)} source needs no RAM permission; the function must reach it over the network.`,
    );
  if (!source)
    notes.push('The target names no source: add its permissions yourself if it is an Alibaba Cloud service.');
  const sink = options.environmentVariables?.WINDOWED_SINK;
  if (sink && /^(mysql|postgres|postgresql):/.test(sink))
    notes.push(
      'The sink database is reached over the network, not through RAM: the function needs a route to it (VPC settings are not managed by windowed).',
    );
  const given = typeof options.role === 'string' ? options.role : undefined;
  return {
    target: 'aliyun',
    roles: {
      function: {
        description: `${options.fcVersion === 3 ? 'role of the FC 3.0 function' : 'role of the FC 2.0 service of'} ${options.functionName} (job ${job.name})`,
        ...(given ? { arn: given } : {}),
        policy: grantsDocument(grants, 'ram'),
        trust: {
          Version: '1',
          Statement: [
            { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: ['fc.aliyuncs.com'] } },
          ],
        },
        actions: grants,
      },
    },
    notes,
  };
}
