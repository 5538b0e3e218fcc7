import { defineConfig } from '@windowed/cli';
import { job } from '../pv-uv/job.js';

/**
 * The naive handler is simulated against the schedule of the job it should have been: the same
 * PV/UV per minute. `npm run simulate` prepares `.windowed/lab.db` (logs in `access_log`) and
 * runs both; by hand:
 *
 *   npm run windowed -- simulate --target aliyun --from 2026-11-25T16:00:00Z --to 2026-11-25T17:00:00Z \
 *     --sink 'sqlite:.windowed/lab.db?table=pv_uv' --reset
 */
export default defineConfig({
  job,
  targets: {
    local: {
      source: { type: 'sql', url: 'sqlite:.windowed/lab.db', table: 'access_log', timeColumn: 'ts' },
      sink: 'sqlite:.windowed/lab.db?table=pv_uv_windowed',
    },
    aliyun: {
      deploy: {
        accountId: '1234567890123456',
        region: 'cn-hangzhou',
        service: 'naive',
        role: 'acs:ram::1234567890123456:role/naive',
        entry: './handler.ts',
        destination: 'acs:mns:cn-hangzhou:1234567890123456:/queues/naive-failures/messages',
        environmentVariables: { DATABASE_URL: 'sqlite:.windowed/lab.db' },
      },
    },
  },
});
