import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { ConfigError } from './errors';
import { CheckFileError, parseCheckFile, type Check } from './pure/dq';

/**
 * Every declared check, from the `<table>.yml` files of the checks dir (`QPIPE_CHECKS_DIR`), in
 * file-name then declaration order. A file that is not YAML, names another table than its own name,
 * or declares a check wrongly is a ConfigError naming the file (never retried: a retry reads the
 * same file): no batch is audited by half.
 */
export function loadChecks(dir: string): Check[] {
  try {
    return readChecks(dir);
  } catch (error) {
    if (error instanceof CheckFileError) throw new ConfigError('QPIPE_CHECKS_DIR', error.message);
    throw error;
  }
}

function readChecks(dir: string): Check[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.yml')).sort();
  } catch (error) {
    throw new CheckFileError(`the checks dir ${dir} cannot be read: ${(error as Error).message}`);
  }
  return names.flatMap((name) => {
    const file = path.join(dir, name);
    let document: unknown;
    try {
      document = parse(readFileSync(file, 'utf8'));
    } catch (error) {
      throw new CheckFileError(`${file}: not YAML: ${(error as Error).message}`);
    }
    const checks = parseCheckFile(file, document);
    const table = (document as { table: string }).table;
    if (`${table}.yml` !== name) throw new CheckFileError(`${file}: declares table ${table}; a table's checks live in ${table}.yml`);
    return checks;
  });
}
