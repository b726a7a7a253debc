// The worker's workflowsPath: re-exports only.
export { stackSmoke } from './stack-smoke';
