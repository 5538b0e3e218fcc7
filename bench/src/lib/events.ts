/** What EventBridge Scheduler delivers with the input `windowed deploy` configures. */
export function schedulerInput(scheduledTime: Date, i: number) {
  return {
    source: 'aws.scheduler',
    scheduledTime: scheduledTime.toISOString().replace('.000Z', 'Z'),
    executionId: `bench-${i}`,
    attemptNumber: '1',
    scheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/windowed-pv_uv',
  };
}
