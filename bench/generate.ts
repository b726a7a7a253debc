// Measures the drop generator: one group of 1,000,000 transactions into a temp dir (deleted after).
// Prints rows/s, MB written, MB/s and the process's peak resident memory.
// Usage: npx tsx bench/generate.ts
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateDrops } from '../lib/generate/drops';

const ROWS = 1_000_000;
const MB = 1_000_000;

async function main(): Promise<void> {
  const outDir = await mkdtemp(join(tmpdir(), 'qpipe-bench-generate-'));
  try {
    const started = process.hrtime.bigint();
    const summary = await generateDrops({ outDir, groups: 1, rows: ROWS, seed: 'bench' });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const peakRssMiB = process.resourceUsage().maxRSS / 1024; // maxRSS is in KiB
    console.log('qpipe drop generator benchmark (1 group)');
    console.log(`rows          ${ROWS.toLocaleString('en-US')}`);
    console.log(`time          ${seconds.toFixed(2)} s`);
    console.log(`rows/s        ${Math.round(ROWS / seconds).toLocaleString('en-US')}`);
    console.log(`written       ${(summary.bytes / MB).toFixed(1)} MB (${summary.files.length} files)`);
    console.log(`throughput    ${(summary.bytes / MB / seconds).toFixed(1)} MB/s`);
    console.log(`peak RSS      ${peakRssMiB.toFixed(0)} MiB`);
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
