import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { requiredColumns, type Dataset } from './pure/batch';

/** A landing file that stood still for the settle interval: its size and mtime did not change. */
export interface LandingFile {
  readonly fileName: string;
  readonly localPath: string;
  readonly bytes: number;
}

/**
 * The complete files in the landing dir, by name. A file whose size or mtime changes during
 * `settleMs` is still being written and is left for the next run; hidden files (`.name`) are
 * skipped (writers' temporary names). Returns the complete files and the names left waiting.
 */
export async function completeLandingFiles(landingDir: string, settleMs: number): Promise<{ complete: LandingFile[]; waiting: string[] }> {
  const names = await readdir(landingDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as string[];
    throw error;
  });
  const first = new Map<string, { size: number; mtimeMs: number }>();
  for (const name of names.sort()) {
    if (name.startsWith('.')) continue;
    const info = await stat(path.join(landingDir, name)).catch(() => undefined);
    if (info?.isFile()) first.set(name, { size: info.size, mtimeMs: info.mtimeMs });
  }
  if (first.size > 0 && settleMs > 0) await sleep(settleMs);
  const complete: LandingFile[] = [];
  const waiting: string[] = [];
  for (const [name, before] of first) {
    const localPath = path.join(landingDir, name);
    const after = await stat(localPath).catch(() => undefined);
    if (after && after.size === before.size && after.mtimeMs === before.mtimeMs) complete.push({ fileName: name, localPath, bytes: after.size });
    else if (after) waiting.push(name);
  }
  return { complete, waiting };
}

/** What one pass over a file tells: its digest, size, header and whether it has content at all. */
export interface FileFacts {
  readonly sha256: string;
  readonly bytes: number;
  readonly bom: boolean;
  /** The header's column names (trimmed, BOM removed); empty when the file has no non-blank line. */
  readonly columns: string[];
  readonly empty: boolean;
}

const bomBytes = Buffer.from([0xef, 0xbb, 0xbf]);

/** Streams a file once: sha256, byte count and its first line, never the whole file in memory. */
export async function fileFacts(localPath: string): Promise<FileFacts> {
  const hash = createHash('sha256');
  let bytes = 0;
  let head = Buffer.alloc(0);
  let headDone = false;
  let content = false;
  for await (const chunk of createReadStream(localPath, { highWaterMark: 1 << 20 })) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    bytes += buffer.length;
    if (!content && /\S/.test(buffer.toString('latin1'))) content = true;
    if (!headDone) {
      head = Buffer.concat([head, buffer]);
      const newline = head.indexOf(0x0a);
      if (newline >= 0 || head.length > 1 << 20) {
        head = head.subarray(0, newline >= 0 ? newline : head.length);
        headDone = true;
      }
    }
  }
  const bom = head.subarray(0, 3).equals(bomBytes);
  const headerLine = head.subarray(bom ? 3 : 0).toString('utf8').replace(/\r$/, '');
  const columns = headerLine.trim() === '' ? [] : headerLine.split(',').map((column) => column.trim().replace(/^"(.*)"$/, '$1'));
  const onlyBom = bom && bytes === 3;
  return { sha256: hash.digest('hex'), bytes, bom, columns, empty: !content || onlyBom };
}

/** Why a file of a known family cannot be ingested, or undefined when its header has every required column. */
export function missingColumns(dataset: Dataset, columns: readonly string[]): string[] {
  const present = new Set(columns);
  return requiredColumns[dataset].filter((column) => !present.has(column));
}

/**
 * Moves a local file into `dir` (created), keeping its name; a copy + unlink across filesystems.
 * Idempotent: a file already moved (source gone, target present) is not an error.
 */
export async function moveInto(localPath: string, dir: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, path.basename(localPath));
  try {
    await rename(localPath, target);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' && (await stat(target).catch(() => undefined))) return target;
    if (code !== 'EXDEV') throw error;
    await copyFile(localPath, target);
    await unlink(localPath);
  }
  return target;
}

/** Writes `<dir>/<fileName>.reason.json` beside a rejected file. */
export async function writeReason(dir: string, fileName: string, reason: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, `${fileName}.reason.json`);
  const temporary = path.join(dir, `.${fileName}.reason.json.tmp`);
  await writeFile(temporary, JSON.stringify(reason, null, 2) + '\n');
  await rename(temporary, target);
}
