import { Command } from 'commander';
import { LocalStack, type ServiceStatus } from '../stack/stack';
import type { CommandContext } from './context';

const progress = (message: string) => process.stderr.write(`stack: ${message}\n`);

/** `qpipe stack up | down | status | wipe`. */
export function stackCommand(context: () => CommandContext): Command {
  const stack = new Command('stack').description('install, start, stop and health-check the local Temporal, Kafka, HDFS and Spark services');
  const local = () => new LocalStack(context().config, progress);

  stack
    .command('up')
    .description('install (first time, pinned, from the registries) and start every service; waits for real health checks')
    .action(async () => {
      const statuses = await local().up();
      printStatus(statuses);
    });
  stack
    .command('status')
    .description('health-check every service; exits non-zero if any is down')
    .action(async () => {
      const statuses = await local().status();
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
  return stack;
}

function printStatus(statuses: ServiceStatus[]): void {
  const lines = statuses.map((status) => {
    const processes = status.processes.map((process) => `${process.name}${process.pid ? ` pid ${process.pid}, ${process.rssMiB ?? '?'} MiB` : ' not running'}`).join('; ');
    return `${status.name.padEnd(9)} ${(status.healthy ? 'healthy' : 'DOWN').padEnd(8)} ${status.endpoints}\n${' '.repeat(19)}${processes}${status.problem ? `\n${' '.repeat(19)}problem: ${status.problem}` : ''}`;
  });
  process.stdout.write(lines.join('\n') + '\n');
}
