import { QpipeError } from '../lib/errors';
import { HdfsClient } from '../lib/hdfs-client';
import { withHive, type Column, type Row } from '../lib/hive-client';
import { queryJob } from '../lib/jobs';
import { manifestsDir, type Dataset } from '../lib/pure/batch';
import { appEventsContract, csvContracts } from '../lib/pure/schemas';
import { renderSql, sqlIdentifier, sqlString } from '../lib/pure/sql';
import { checkSchemas } from '../lib/schema-registry';
import type { CommandContext } from './context';
import { formatRows, type OutputFormat } from './format';

/**
 * `qpipe schema check [--dir D]`: every subject's versions, each BACKWARD compatible with the one
 * before it (Confluent's rules); one line per subject, then each problem; fails when there is one.
 */
export function runSchemaCheck({ config }: CommandContext, options: { dir?: string }): void {
  const dir = options.dir ?? config.schemasDir;
  const subjects = checkSchemas(dir);
  let failed = 0;
  for (const { subject, versions, problems } of subjects) {
    const latest = versions[versions.length - 1]!;
    process.stdout.write(`${subject}: v${latest}${versions.length === 1 ? ' (the first version)' : problems.length === 0 ? `, each version BACKWARD compatible with the one before (${versions.length} versions)` : ''}\n`);
    for (const { version, path, problem } of problems) process.stdout.write(`  v${version} against v${version - 1}: ${path}: ${problem}\n`);
    failed += problems.length;
  }
  if (subjects.length === 0) throw new QpipeError(`no schema versions under ${dir}`);
  if (failed > 0) throw new QpipeError(`${failed} BACKWARD compatibility problem${failed === 1 ? '' : 's'} in ${dir}`);
}

const driftColumns: Column[] = [
  { name: 'source', type: 'STRING' },
  { name: 'field', type: 'STRING' },
  { name: 'note', type: 'STRING' },
  { name: 'seen', type: 'BIGINT' },
  { name: 'first_seen', type: 'STRING' },
  { name: 'last_seen', type: 'STRING' },
];

/**
 * `qpipe schema drift [--format …]`: what the data holds beyond the current contracts, the input to
 * their next versions: the CSV header columns a contract does not list (per family: files, first and
 * last batch, from the manifests), and the fields app_events keeps in `extra` (events, first and
 * last event time; a field the contract lists there had another type).
 */
export async function runSchemaDrift({ config, log }: CommandContext, options: { format: OutputFormat }): Promise<void> {
  const rows = await withHive(config.hive, log.child({ component: 'hive' }), async (hive) => {
    const drift: Row[] = [];
    if (await new HdfsClient(config.hdfs, log).exists(manifestsDir(config.hdfs.root))) {
      const columns = await queryJob<{ family: Dataset; column: string; seen: number; first_seen: string; last_seen: string }>(hive, 'schema_drift_csv', { manifests: manifestsDir(config.hdfs.root) });
      for (const row of columns) {
        const contract = csvContracts[row.family];
        if (!contract || row.column in (contract.properties ?? {})) continue;
        drift.push({ source: `csv/${row.family}`, field: row.column, note: 'a column the contract does not list', seen: Number(row.seen), first_seen: row.first_seen, last_seen: row.last_seen });
      }
    }
    const databases = await hive.query(`SHOW DATABASES LIKE ${sqlString(config.hive.database)}`);
    const tables = databases.rows.length === 0 ? [] : (await hive.query(renderSql("SHOW TABLES IN :database LIKE 'app_events'", { database: sqlIdentifier(config.hive.database) }))).rows;
    if (tables.length > 0) {
      const known = appEventsContract.properties ?? {};
      for (const row of await queryJob<{ field: string; seen: number; first_seen: string; last_seen: string }>(hive, 'schema_drift_events', { database: sqlIdentifier(config.hive.database) })) {
        const nested = row.field.startsWith('metadata.') ? known.metadata?.properties?.[row.field.slice('metadata.'.length)] : known[row.field];
        drift.push({ source: 'app_events', field: row.field, note: nested ? 'listed, seen with another type' : 'a field the contract does not list', seen: Number(row.seen), first_seen: row.first_seen, last_seen: row.last_seen });
      }
    }
    return drift;
  });
  process.stdout.write(formatRows(driftColumns, rows, options.format) + '\n');
}
