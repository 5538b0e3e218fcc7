/** The pv/uv job's name and window spec (1-minute windows, 30 s delay), as the deploy code reads them. */
export function pvUvJob(timeZone = 'UTC') {
  return {
    name: 'pv_uv',
    windowSpec: {
      size: { unit: 'minute' as const, amount: 1, label: '1m' },
      delayMs: 30_000,
      toleranceMs: 2000,
      latenessMs: 0,
      timeZone,
    },
  };
}

/** The smallest valid FC 2.0 deploy options for the pv/uv job (account, region, service, role, entry, destination). */
export const FC_DEPLOY_INPUT = {
  accountId: '1234567890123456',
  region: 'cn-hangzhou',
  service: 'windowed',
  role: 'acs:ram::1234567890123456:role/windowed-fc',
  entry: 'src/handler.ts',
  destination: 'acs:mns:cn-hangzhou:1234567890123456:/queues/windowed-failures/messages',
};
