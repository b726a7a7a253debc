/** @type {import('jest').Config} */
const transform = { '^.+\\.ts$': ['@swc/jest', { jsc: { target: 'es2022' } }] };
const project = (name) => ({
  displayName: name,
  testMatch: [`<rootDir>/test/${name}/**/*.test.ts`],
  transform,
  testEnvironment: 'node',
});

// unit: pure code; workflows: time-skipping test server, mocked activities; replay: recorded
// histories; integration: the real local stack (`bin/qpipe stack up` first).
module.exports = {
  projects: [project('unit'), project('workflows'), project('replay'), project('integration')],
  testTimeout: 300_000,
};
