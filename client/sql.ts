import { HiveClient } from '../lib/hive-client';
import { formatRows, type OutputFormat } from './format';
import type { CommandContext } from './context';

/** `qpipe sql "STATEMENT" [--format table|csv|json]`: the rows on stdout, errors as one line. */
export async function runSql({ config, log }: CommandContext, statement: string, options: { format: OutputFormat; timeout?: number }): Promise<void> {
  const hive = new HiveClient(config.hive, log.child({ component: 'hive' }));
  try {
    await hive.connect();
    const { columns, rows } = await hive.query(statement, { timeoutMs: options.timeout });
    process.stdout.write(formatRows(columns, rows, options.format) + '\n');
  } finally {
    await hive.close();
  }
}
