import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../lib/config';

/**
 * A config for one integration test file: its own HDFS root, warehouse database and local data
 * dirs, so tests never see each other's (or the demo's) data. Everything else is the local stack.
 */
export function isolatedConfig(name: string, extra: Record<string, string> = {}): Config {
  return loadConfig(isolatedEnv(name, extra));
}

/** The environment behind {@link isolatedConfig}, for child processes (a worker) that must share it. */
export function isolatedEnv(name: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const id = `${name}_${randomUUID().slice(0, 8)}`.replace(/[^A-Za-z0-9_]/g, '_');
  const local = mkdtempSync(path.join(tmpdir(), `qpipe-${name}-`));
  return {
    ...process.env,
    QPIPE_TASK_QUEUE: `it-${id}`,
    QPIPE_HDFS_ROOT: `/qpipe-it/${id}`,
    QPIPE_HIVE_DATABASE: `it_${id}`.toLowerCase(),
    QPIPE_LANDING_DIR: path.join(local, 'landing'),
    QPIPE_ARCHIVE_DIR: path.join(local, 'archive'),
    QPIPE_REJECTED_DIR: path.join(local, 'rejected'),
    QPIPE_REPORTS_DIR: path.join(local, 'reports'),
    QPIPE_LANDING_SETTLE_MS: '50',
    ...extra,
  };
}

/** The real case-study files, beside the checkout (CI has ../shared too). */
export const realDataDir = path.resolve(__dirname, '..', '..', '..', 'shared', 'data', 'q-company');
