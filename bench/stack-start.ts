// Measures the local stack: cold start (state wiped, installs kept: the first install is excluded),
// warm start (stopped, state kept), and each service's resident memory once healthy.
// Usage: npm run bench:stack   (stops and WIPES the local stack's state first).
import { loadConfig } from '../lib/config';
import { LocalStack, type ServiceStatus } from '../stack/stack';

async function timed(label: string, action: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await action();
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label.padEnd(38)} ${seconds.toFixed(1).padStart(6)} s`);
  return seconds;
}

function memoryTable(statuses: ServiceStatus[]): void {
  let total = 0;
  for (const status of statuses) {
    for (const process of status.processes) {
      total += process.rssMiB ?? 0;
      console.log(`  ${status.name.padEnd(9)} ${process.name.padEnd(15)} ${String(process.rssMiB ?? '?').padStart(6)} MiB resident`);
    }
  }
  console.log(`  ${'total'.padEnd(25)} ${String(total).padStart(6)} MiB resident (machine: 24 GiB)`);
}

async function main(): Promise<void> {
  const config = loadConfig();
  const stack = new LocalStack(config, (message) => process.stderr.write(`  ${message}\n`));
  console.log('qpipe stack start benchmark');
  await stack.up(); // installs if needed: not measured
  await stack.wipe();
  await timed('cold start (state wiped, installed)', () => stack.up());
  await timed('stop', () => stack.down());
  await timed('warm start (state kept)', () => stack.up());
  const statuses = await stack.status();
  if (statuses.some((status) => !status.healthy)) throw new Error(`unhealthy after warm start: ${JSON.stringify(statuses)}`);
  console.log('resident memory once healthy:');
  memoryTable(statuses);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
