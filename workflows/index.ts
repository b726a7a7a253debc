// The worker's workflowsPath: re-exports only.
export { hourlyBatch } from './hourly-batch';
export { stackSmoke } from './stack-smoke';
