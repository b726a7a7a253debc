import path from 'node:path';
import { generateDrops } from '../lib/generate/drops';
import type { CommandContext } from './context';

export interface GenerateOptions {
  out: string;
  groups: number;
  rows: number;
  seed: string;
  crlf?: boolean;
  bom?: boolean;
}

/** `qpipe generate --out DIR [--groups N] [--rows R] [--seed S]`: demo and benchmark drops, one folder per group. */
export async function runGenerate({ log }: CommandContext, options: GenerateOptions): Promise<void> {
  const outDir = path.resolve(options.out);
  let lastPercent = -1;
  const summary = await generateDrops(
    { outDir, groups: options.groups, rows: options.rows, seed: options.seed, crlf: options.crlf, bom: options.bom },
    (progress) => {
      const percent = progress.rowsTotal === 0 ? 100 : Math.floor((progress.rowsWritten / progress.rowsTotal) * 10) * 10;
      if (progress.family === 'salesTransactions' && percent !== lastPercent) {
        lastPercent = percent;
        process.stderr.write(`generate: group ${progress.group} transactions ${percent}%\n`);
      }
    },
  );
  log.debug({ outDir, files: summary.files.length, rows: summary.rows, bytes: summary.bytes }, 'generated drops');
  for (const file of summary.files) {
    process.stdout.write(`${path.relative(process.cwd(), file.path)}\t${file.rows} rows\t${file.bytes} bytes${file.replayOfGroup ? `\treplay of group ${file.replayOfGroup}` : ''}\n`);
  }
}
