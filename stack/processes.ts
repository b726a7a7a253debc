import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { StackError } from '../lib/errors';
import type { StackLayout } from './layout';
import { tail } from './shell';

/** One process of the stack, as the launcher starts it. */
export interface ProcessSpec {
  /** Unique name: the pid file and log file are named after it. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** The signal of an orderly stop (SIGTERM unless given; PostgreSQL's fast shutdown is SIGINT). */
  readonly stopSignal?: NodeJS.Signals;
}

interface PidFile {
  pid: number;
  command: string;
  startedAt: string;
  /** The stack profile that started it (none: a stack from before profiles, the local one). */
  profile?: string;
  stopSignal?: NodeJS.Signals;
}

export const logPath = (layout: StackLayout, name: string) => path.join(layout.logs, `${name}.log`);
const pidPath = (layout: StackLayout, name: string) => path.join(layout.run, `${name}.pid`);

/**
 * Starts a process in its own process group, detached from ours, its output appended to
 * `logs/<name>.log`, and records it in `run/<name>.pid`.
 */
export async function startProcess(layout: StackLayout, spec: ProcessSpec, profile: string): Promise<number> {
  await mkdir(layout.logs, { recursive: true });
  await mkdir(layout.run, { recursive: true });
  const log = openSync(logPath(layout, spec.name), 'a');
  try {
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd ?? layout.dir,
      env: { ...process.env, ...spec.env },
      detached: true,
      stdio: ['ignore', log, log],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      child.once('error', (error) => reject(new StackError(spec.name, `cannot start ${spec.command}: ${error.message}`, '', { cause: error })));
      child.once('spawn', () => resolve(child.pid!));
    });
    child.unref();
    const record: PidFile = { pid, command: spec.command, startedAt: new Date().toISOString(), profile, stopSignal: spec.stopSignal };
    await writeFile(pidPath(layout, spec.name), JSON.stringify(record) + '\n');
    return pid;
  } finally {
    closeSync(log);
  }
}

/** Runs a process in the foreground, its output on ours, until it exits; resolves with its exit code. */
export function runAttached(spec: ProcessSpec): Promise<number> {
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, env: { ...process.env, ...spec.env }, stdio: 'inherit' });
  return new Promise((resolve, reject) => {
    child.once('error', (error) => reject(new StackError(spec.name, `cannot start ${spec.command}: ${error.message}`, '', { cause: error })));
    child.once('close', (code) => resolve(code ?? 1));
  });
}

/**
 * The pid of a process this stack started and that still runs, or undefined. A pid file whose
 * process is gone, or whose pid now belongs to a process that is not ours (its command line does
 * not mention the stack dir), counts as not running.
 */
export async function runningPid(layout: StackLayout, name: string): Promise<number | undefined> {
  return (await runningRecord(layout, name))?.pid;
}

async function runningRecord(layout: StackLayout, name: string): Promise<PidFile | undefined> {
  let record: PidFile;
  try {
    record = JSON.parse(await readFile(pidPath(layout, name), 'utf8')) as PidFile;
  } catch {
    return undefined;
  }
  return isOurs(layout, record.pid) ? record : undefined;
}

/** Every process the stack started that still runs, whatever profile started it: its name, pid and profile. */
export async function runningProcesses(layout: StackLayout): Promise<{ name: string; pid: number; profile: string }[]> {
  let files: string[];
  try {
    files = readdirSync(layout.run).filter((file) => file.endsWith('.pid'));
  } catch {
    return [];
  }
  const running = await Promise.all(
    files.map(async (file) => {
      const name = file.slice(0, -'.pid'.length);
      const record = await runningRecord(layout, name);
      return record ? [{ name, pid: record.pid, profile: record.profile ?? 'local' }] : [];
    }),
  );
  return running.flat();
}

function isOurs(layout: StackLayout, pid: number): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    // An empty command line is a process in the middle of an exec (a launcher script exec'ing its
    // JVM, as Spark's does): still the process we started.
    return state !== 'Z' && (commandLine === '' || commandLine.includes(layout.dir));
  } catch {
    return false;
  }
}

/**
 * Stops a process this stack started: its stop signal (SIGTERM) to its process group, then SIGKILL after `graceMs`.
 * Resolves when no process of the group is left; removes the pid file.
 */
export async function stopProcess(layout: StackLayout, name: string, graceMs = 20_000): Promise<boolean> {
  const record = await runningRecord(layout, name);
  if (record === undefined) {
    await rm(pidPath(layout, name), { force: true });
    return false;
  }
  const { pid } = record;
  signalGroup(pid, record.stopSignal ?? 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (groupAlive(pid) && Date.now() < deadline) await sleep(200);
  if (groupAlive(pid)) {
    signalGroup(pid, 'SIGKILL');
    while (groupAlive(pid)) await sleep(100);
  }
  await rm(pidPath(layout, name), { force: true });
  return true;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Resident memory of a started process with everything in its process group, in MiB: a Spark
 * worker's executors are its children, and count with it.
 */
export function groupResidentMiB(pid: number): number | undefined {
  const own = residentKiB(pid);
  if (own === undefined) return undefined;
  let total = own;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === pid) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const group = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
      if (group === pid) total += residentKiB(Number(entry)) ?? 0;
    } catch {
      // gone meanwhile
    }
  }
  return Math.round(total / 1024);
}

function residentKiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** The last lines of a process's log, for error messages. */
export function logTail(layout: StackLayout, name: string, lines = 30): string {
  try {
    return tail(readFileSync(logPath(layout, name), 'utf8'), lines);
  } catch {
    return '(no log)';
  }
}
