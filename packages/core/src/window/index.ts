export * from './derive.js';
export * from './runs.js';
export * from './spec.js';
export * from './types.js';
