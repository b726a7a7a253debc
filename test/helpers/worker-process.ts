import { spawn, type ChildProcess } from 'node:child_process';
import { openSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '..', '..');

/** `bin/qpipe worker` as a separate process with the given environment, its output in `logFile`. */
export function startWorkerProcess(env: NodeJS.ProcessEnv, logFile: string): ChildProcess {
  const log = openSync(logFile, 'a');
  return spawn(path.join(root, 'bin', 'qpipe'), ['worker'], { env, stdio: ['ignore', log, log], detached: false });
}

/** Resolves when the process has exited (after a kill, say). */
export function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}
