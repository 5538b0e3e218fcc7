/** Resolves after `ms`. (Not `node:timers/promises`: a function bundle would load that module at every cold start.) */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
