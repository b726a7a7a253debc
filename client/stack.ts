import { Command, Option } from 'commander';
import { stackProfiles, type StackProfile } from '../lib/config';
import { StackError } from '../lib/errors';
import { sparkSqlProcess } from '../stack/services';
import { runAttached } from '../stack/processes';
import { LocalStack, type ServiceStatus } from '../stack/stack';
import type { CommandContext } from './context';

const progress = (message: string) => process.stderr.write(`stack: ${message}\n`);

/** `qpipe stack up | down | status | wipe`. */
export function stackCommand(context: () => CommandContext): Command {
  const stack = new Command('stack').description('install, start, stop and health-check the local Temporal, Kafka, HDFS and Spark services');
  const local = (profile?: StackProfile) => new LocalStack(context().config, progress, profile);
  const profileOption = () =>
    new Option('--profile <profile>', 'local: Spark in local mode, Derby metastore; cluster: Spark master + workers, PostgreSQL metastore (default: QPIPE_STACK_PROFILE, else the one last started, else local)').choices(
      stackProfiles,
    );

  stack
    .command('up')
    .description('install (first time, pinned, from the registries) and start every service; waits for real health checks')
    .addOption(profileOption())
    .action(async (options: { profile?: StackProfile }) => {
      const statuses = await local(options.profile).up();
      printStatus(statuses);
    });
  stack
    .command('status')
    .description('health-check every service; exits non-zero if any is down')
    .addOption(profileOption())
    .action(async (options: { profile?: StackProfile }) => {
      const statuses = await local(options.profile).status();
      printStatus(statuses);
      if (statuses.some((status) => !status.healthy)) {
        process.stderr.write(`stack: down: ${statuses.filter((status) => !status.healthy).map((status) => status.name).join(', ')}\n`);
        process.exitCode = 1;
      }
    });
  stack
    .command('down')
    .description('stop exactly the processes the stack started')
    .action(async () => {
      const stopped = await local().down();
      process.stdout.write(stopped.length > 0 ? `stopped ${stopped.join(', ')}\n` : 'nothing was running\n');
    });
  stack
    .command('wipe')
    .description('stop the stack and delete all its state (installs are kept)')
    .action(async () => {
      await local().wipe();
      process.stdout.write('wiped\n');
    });
  stack
    .command('spark-sql')
    .description('cluster profile: a second Spark application (spark-sql) on the shared metastore and warehouse; arguments go to spark-sql, e.g. -e "SHOW TABLES IN q_dwh"')
    .allowUnknownOption()
    .helpOption(false)
    .argument('[args...]')
    .action(async (args: string[]) => {
      const cluster = local();
      if (cluster.profile !== 'cluster') throw new StackError('stack', 'spark-sql reads the cluster profile\'s PostgreSQL metastore: start it with bin/qpipe stack up --profile cluster');
      process.exitCode = await runAttached(sparkSqlProcess(context().config, cluster.layout, args));
    });
  return stack;
}

function printStatus(statuses: ServiceStatus[]): void {
  const lines = statuses.map((status) => {
    const processes = status.processes.map((process) => `${process.name}${process.pid ? ` pid ${process.pid}, ${process.rssMiB ?? '?'} MiB` : ' not running'}`).join('; ');
    return `${status.name.padEnd(13)} ${(status.healthy ? 'healthy' : 'DOWN').padEnd(8)} ${status.endpoints}\n${' '.repeat(23)}${processes}${status.problem ? `\n${' '.repeat(23)}problem: ${status.problem}` : ''}`;
  });
  process.stdout.write(lines.join('\n') + '\n');
}
