import { spawn } from 'node:child_process';
import { StackError } from '../lib/errors';

/**
 * Runs a command to completion and resolves with its output; a non-zero exit is a `StackError`
 * naming the service and carrying the output's tail. `timeoutMs` kills a command that hangs.
 */
export function runCommand(
  service: string,
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const append = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-64_000);
    };
    child.stdout.on('data', append);
    child.stderr.on('data', append);
    const timer = options.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), options.timeoutMs) : undefined;
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new StackError(service, `cannot run ${command}: ${error.message}`, '', { cause: error }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(output);
      else reject(new StackError(service, `${command} ${args.slice(0, 3).join(' ')} failed (${signal ?? `exit ${code}`})`, tail(output)));
    });
  });
}

/** The last `lines` lines of a text. */
export function tail(text: string, lines = 40): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}
