import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { StatementOptions, Warehouse } from './hive-client';
import { renderSql, splitStatements, type SqlParams } from './pure/sql';

const jobsDir = path.resolve(__dirname, '..', 'jobs');
const templates = new Map<string, string>();

/** The statements of `jobs/<name>.sql` with its `:name` parameters rendered as validated literals. */
export function loadJob(name: string, params: SqlParams): string[] {
  let template = templates.get(name);
  if (template === undefined) {
    template = readFileSync(path.join(jobsDir, `${name}.sql`), 'utf8');
    templates.set(name, template);
  }
  return splitStatements(renderSql(template, params));
}

/** Runs every statement of `jobs/<name>.sql` on the warehouse, in order, in its one session. */
export async function executeJob(warehouse: Warehouse, name: string, params: SqlParams, options?: StatementOptions): Promise<void> {
  for (const statement of loadJob(name, params)) await warehouse.execute(statement, options);
}

/** Runs `jobs/<name>.sql`, whose last statement is a query (the ones before it prepare it, as temporary views), and returns its rows. */
export async function queryJob<T>(warehouse: Warehouse, name: string, params: SqlParams, options?: StatementOptions): Promise<T[]> {
  const statements = loadJob(name, params);
  const query = statements.pop();
  if (query === undefined) throw new Error(`jobs/${name}.sql holds no statement`);
  for (const statement of statements) await warehouse.execute(statement, options);
  return (await warehouse.query<T>(query, options)).rows;
}
