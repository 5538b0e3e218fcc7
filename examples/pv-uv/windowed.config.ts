import { defineConfig } from '@windowed/cli';
import { job } from './job.js';

// Placeholder accounts: `windowed plan --target aliyun|aws --dry-run` works as is; replace them
// (and take the database password from the environment) before a real deploy.
const MYSQL =
  process.env.PVUV_MYSQL_URL ?? 'mysql://pvuv:CHANGE_ME@stats.example.internal:3306/stats?table=pv_uv';

export default defineConfig({
  job,
  targets: {
    // `npm start`, `windowed run|backfill|status|show` on this machine.
    local: {
      source: { type: 'ndjson', path: './logs' },
      sink: 'sqlite:.windowed/pv_uv.db',
    },
    aliyun: {
      source: {
        type: 'sls',
        project: 'pv-uv-logs',
        logstore: 'access-log',
        endpoint: 'cn-hangzhou-intranet.log.aliyuncs.com',
      },
      sink: MYSQL,
      deploy: {
        accountId: '1234567890123456',
        region: 'cn-hangzhou',
        service: 'windowed',
        role: 'acs:ram::1234567890123456:role/windowed-pv-uv',
        entry: './aliyun.ts',
        timeout: 60,
        // Failed invocations (after FC's 3 retries) land here; `windowed replay --queue mns:pv-uv-failures` re-runs them.
        destination: 'acs:mns:cn-hangzhou:1234567890123456:/queues/pv-uv-failures/messages',
        logConfig: { project: 'pv-uv-logs', logstore: 'fc-logs' },
      },
    },
    aws: {
      source: { type: 'cloudwatch', logGroupNames: ['/app/web/access'], region: 'us-east-1' },
      sink: MYSQL,
      deploy: {
        region: 'us-east-1',
        roleArn: 'arn:aws:iam::123456789012:role/windowed-pv-uv',
        entry: './aws.ts',
        timeout: 60,
        schedule: { roleArn: 'arn:aws:iam::123456789012:role/windowed-scheduler' },
        // Failed invocations (after Lambda's 2 retries) land here; `windowed replay --queue <queue URL>` re-runs them.
        onFailure: { destination: 'arn:aws:sqs:us-east-1:123456789012:pv-uv-failures' },
      },
    },
  },
});
