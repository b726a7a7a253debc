// Records a completed workflow's history from the Temporal server into test/replay/histories/,
// for the replay tests: `npx tsx test/replay/record-history.ts WORKFLOW_ID FILE_NAME`.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';
import { loadConfig } from '../../lib/config';
import { createTemporalClient } from '../../lib/temporal';

async function record(workflowId: string, fileName: string): Promise<void> {
  const client = await createTemporalClient(loadConfig().temporal);
  try {
    const history = await client.workflow.getHandle(workflowId).fetchHistory();
    const file = path.join(__dirname, 'histories', fileName);
    writeFileSync(file, JSON.stringify(JSON.parse(historyToJSON(history)), null, 2) + '\n');
    console.log(`wrote ${history.events?.length ?? 0} events to ${file}`);
  } finally {
    await client.connection.close();
  }
}

const [workflowId, fileName] = process.argv.slice(2);
if (!workflowId || !fileName) {
  console.error('usage: record-history.ts WORKFLOW_ID FILE_NAME');
  process.exit(2);
}
record(workflowId, fileName).catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
