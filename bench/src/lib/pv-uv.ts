/** The pv-uv job's filters (examples/pv-uv/job.ts), for the hand-written baselines. */
export const PAGES = ['/', '/search', '/products', '/cart', '/checkout', '/login', '/account', '/help'];
export const MAX_STATUS = 400;
