import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from './errors';
import { backwardProblems, type CompatibilityProblem, type JsonSchema } from './pure/schemas';

/** One subject's versions (`schemas/<subject>/v<N>.json`) and every BACKWARD problem between consecutive ones. */
export interface SubjectCheck {
  readonly subject: string;
  readonly versions: readonly number[];
  readonly problems: readonly (CompatibilityProblem & { readonly version: number })[];
}

const versionFile = /^v(\d+)\.json$/;

/**
 * Checks every subject under `dir` (a directory holding `v<N>.json` files: `app_events`,
 * `csv/branches`, …): the versions are numbered 1, 2, … without a gap, each is a JSON Schema
 * 2020-12 document, and each is BACKWARD compatible with the one before it (see `backwardProblems`).
 */
export function checkSchemas(dir: string): SubjectCheck[] {
  const subjects: SubjectCheck[] = [];
  const walk = (current: string): void => {
    const names = readdirSync(current).sort();
    const versions = names.flatMap((name) => (versionFile.exec(name) ? [Number(versionFile.exec(name)![1])] : [])).sort((a, b) => a - b);
    if (versions.length > 0) subjects.push(checkSubject(dir, current, versions));
    for (const name of names) if (statSync(path.join(current, name)).isDirectory()) walk(path.join(current, name));
  };
  try {
    walk(dir);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError('QPIPE_SCHEMAS_DIR', `${dir} cannot be read: ${(error as Error).message}`);
  }
  return subjects;
}

function checkSubject(root: string, dir: string, versions: readonly number[]): SubjectCheck {
  const subject = path.relative(root, dir).split(path.sep).join('/');
  versions.forEach((version, index) => {
    if (version !== index + 1) throw new ConfigError('QPIPE_SCHEMAS_DIR', `${subject}: versions must be v1, v2, … without a gap; found ${versions.map((v) => `v${v}`).join(', ')}`);
  });
  const documents = versions.map((version) => {
    const file = path.join(dir, `v${version}.json`);
    let document: JsonSchema;
    try {
      document = JSON.parse(readFileSync(file, 'utf8')) as JsonSchema;
    } catch (error) {
      throw new ConfigError('QPIPE_SCHEMAS_DIR', `${file}: not JSON: ${(error as Error).message}`);
    }
    if (document.$schema !== 'https://json-schema.org/draft/2020-12/schema') throw new ConfigError('QPIPE_SCHEMAS_DIR', `${file}: $schema must be https://json-schema.org/draft/2020-12/schema`);
    return document;
  });
  const problems = documents.slice(1).flatMap((document, index) => backwardProblems(documents[index]!, document).map((problem) => ({ ...problem, version: index + 2 })));
  return { subject, versions, problems };
}
