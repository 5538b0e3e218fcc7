export * from './plan.js';
export * from './prng.js';
export * from './protocol.js';
export * from './proxy.js';
export * from './report.js';
export * from './truth.js';
