import { runTemporalWorker } from '../workers/temporal-worker';
import type { CommandContext } from './context';

/** `qpipe worker`: the Temporal worker in the foreground. */
export async function runWorker({ config, log }: CommandContext): Promise<void> {
  await runTemporalWorker(config, log.child({ component: 'worker' }));
}
