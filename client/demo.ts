import { LocalStack } from '../stack/stack';
import { createTemporalClient } from '../lib/temporal';
import { createQpipeWorker, installTemporalRuntime } from '../workers/temporal-worker';
import { stackSmoke } from '../workflows';
import type { CommandContext } from './main';

const step = (message: string) => process.stderr.write(`demo: ${message}\n`);

/**
 * `qpipe demo`: installs what is missing, starts the stack, starts a worker, runs the smoke
 * workflow through Temporal (HDFS write/read and a Spark query as activities) and prints where to
 * see the run in the Temporal UI. The stack stays up.
 */
export async function runDemo({ config, log }: CommandContext): Promise<void> {
  const started = Date.now();
  step('1/3 starting the local stack (the first run installs it: a few minutes)');
  await new LocalStack(config, (message) => step(`    ${message}`)).up();

  step('2/3 starting a Temporal worker');
  installTemporalRuntime(config, log, []);
  const { worker, close } = await createQpipeWorker(config, log);
  const client = await createTemporalClient(config.temporal);
  try {
    const token = `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const workflowId = `stack-smoke-${token}`;
    step(`3/3 running workflow ${workflowId}`);
    const result = await worker.runUntil(
      client.workflow.execute(stackSmoke, { workflowId, taskQueue: config.temporal.taskQueue, args: [{ token }] }),
    );
    process.stdout.write(
      [
        `stack smoke passed in ${((Date.now() - started) / 1000).toFixed(0)} s:`,
        `  HDFS     wrote and read back ${result.hdfsBytes} bytes at ${result.hdfsPath}`,
        `  Spark    SELECT 1 + 1 = ${result.two}`,
        `  Temporal UI: ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(workflowId)}`,
        `The stack is still up: bin/qpipe stack status; bin/qpipe stack down to stop it.`,
        '',
      ].join('\n'),
    );
  } finally {
    await client.connection.close();
    await close();
  }
}
