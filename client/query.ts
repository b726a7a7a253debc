import { withHive } from '../lib/hive-client';
import { namedQueries, namedQueryNames, resolveQueryOptions, runNamedQuery, type NamedQueryOptions } from '../lib/reports';
import { formatRows, type OutputFormat } from './format';
import type { CommandContext } from './context';

export interface QueryCommandOptions extends NamedQueryOptions {
  readonly format: OutputFormat;
}

/** `qpipe query NAME [--date D] [--from D] [--to D] [--limit N] [--format table|csv|json]`: the rows on stdout. */
export async function runQuery({ config, log }: CommandContext, name: string, options: QueryCommandOptions): Promise<void> {
  const { format, ...queryOptions } = options;
  resolveQueryOptions(name, queryOptions); // a bad name or option fails before connecting
  const { columns, rows } = await withHive(config.hive, log.child({ component: 'hive' }), (hive) => runNamedQuery(hive, config.hive.database, name, queryOptions));
  process.stderr.write(`query ${name}: ${rows.length} row${rows.length === 1 ? '' : 's'}\n`);
  process.stdout.write(formatRows(columns, rows, format) + '\n');
}

/** The `--help` list of the named queries: name, what it returns, its keys. */
export function namedQueriesHelp(): string {
  const width = Math.max(...namedQueryNames.map((name) => name.length));
  const lines = namedQueryNames.map((name) => {
    const query = namedQueries[name];
    return `  ${name.padEnd(width)}  ${query.description}\n  ${' '.repeat(width)}  keys: ${query.keys.join(', ')}${'requiresDate' in query ? ' (needs --date, or --from and --to)' : ''}`;
  });
  return ['', 'Named queries (specs/warehouse.md); --date/--from/--to bound the transaction date:', ...lines].join('\n');
}
