import { readFileSync } from 'node:fs';
import path from 'node:path';
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
