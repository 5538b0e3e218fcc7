import { describe, expect, it } from 'vitest';
import { aliyunPlatform } from '../../src/deploy/index.js';
import { pvUvJob } from '../job.js';

const job = pvUvJob();
const UID = '1234567890123456';
const deploy = {
  accountId: UID,
  region: 'cn-hangzhou',
  service: 'windowed',
  role: `acs:ram::${UID}:role/windowed-fc`,
  entry: 'handler.ts',
  destination: `acs:mns:cn-hangzhou:${UID}:/queues/windowed-failures/messages`,
  logConfig: { project: 'fc-logs', logstore: 'pv-uv' },
};
const source = {
  type: 'sls',
  project: 'app-logs',
  logstore: 'access',
  endpoint: 'cn-shanghai.log.aliyuncs.com',
};

describe('windowed policy (Aliyun)', () => {
  it("derives the function role's RAM policy from the source, destination and log config; the role trusts FC", () => {
    const set = aliyunPlatform.policy({
      job,
      deploy,
      resources: { source, sink: 'mysql://u:p@db:3306/stats' },
    });
    const role = set.roles.function!;
    expect(role.arn).toBe(deploy.role);
    expect(role.policy).toEqual({
      Version: '1',
      Statement: [
        {
          Effect: 'Allow',
          Action: ['log:GetLogStoreLogs'],
          Resource: [`acs:log:cn-shanghai:${UID}:project/app-logs/logstore/access`],
        },
        { Effect: 'Allow', Action: ['mns:SendMessage'], Resource: [deploy.destination] },
        {
          Effect: 'Allow',
          Action: ['log:PostLogStoreLogs'],
          Resource: [`acs:log:cn-hangzhou:${UID}:project/fc-logs/logstore/pv-uv`],
        },
      ],
    });
    expect(role.trust).toEqual({
      Version: '1',
      Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: ['fc.aliyuncs.com'] } }],
    });
    expect(set.notes.join(' ')).toMatch(/sink database is reached over the network/);
    expect(JSON.stringify(set)).not.toContain(':p@');
  });

  it.each([
    [`acs:mns:cn-hangzhou:${UID}:/topics/fails/messages`, 'mns:PublishMessage'],
    [`acs:fc:cn-hangzhou:${UID}:functions/on-failure`, 'fc:InvokeFunction'],
    [`acs:eventbridge:cn-hangzhou:${UID}:eventbus/default`, 'eventbridge:PutEvents'],
  ])('grants the destination %s its send action', (destination, action) => {
    const set = aliyunPlatform.policy({ job, deploy: { ...deploy, destination } });
    expect(set.roles.function!.actions.map((a) => a.action)).toContain(action);
  });
});
