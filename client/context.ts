import type { Config } from '../lib/config';
import type { Logger } from '../lib/log';

/** What every command gets: the validated config and a logger on stderr. */
export interface CommandContext {
  readonly config: Config;
  readonly log: Logger;
}
