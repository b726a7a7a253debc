import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, readdir, rename, stat, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse } from 'csv-parse/sync';
import { requiredColumns, type Dataset } from './pure/batch';

/** A landing file that stood still for the settle interval: its size and mtime did not change. */
export interface LandingFile {
  /** Its name; for a name that is not UTF-8, the name as UTF-8 would show it and its bytes in hex. */
  readonly fileName: string;
  /** Its path: bytes when the name is not UTF-8 (a string could not address it). */
  readonly localPath: string | Buffer;
  readonly bytes: number;
  /** Set when the name's bytes are not UTF-8: the file can only be refused (`BAD_FILE_NAME`). */
  readonly notUtf8?: true;
}

/** A directory entry's name as text: itself when it is UTF-8, else its lossy text and its bytes in hex (unique). */
function entryName(raw: Buffer): { name: string; utf8: boolean } {
  const text = raw.toString('utf8');
  return Buffer.from(text, 'utf8').equals(raw) ? { name: text, utf8: true } : { name: `${text} (not UTF-8: ${raw.toString('hex')})`, utf8: false };
}

/**
 * The complete files in the landing dir, by name. A file whose size or mtime changes during
 * `settleMs` is still being written and is left for the next run; hidden files (`.name`) are
 * skipped (writers' temporary names). Names are read as bytes, so a name that is not UTF-8 is
 * listed too (see {@link LandingFile.notUtf8}). Returns the complete files and the names left waiting.
 */
export async function completeLandingFiles(landingDir: string, settleMs: number): Promise<{ complete: LandingFile[]; waiting: string[] }> {
  const entries = await readdir(landingDir, { encoding: 'buffer' }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [] as Buffer[];
    throw error;
  });
  const first = new Map<string, { localPath: string | Buffer; utf8: boolean; size: number; mtimeMs: number }>();
  for (const raw of entries.sort(Buffer.compare)) {
    if (raw[0] === 0x2e) continue;
    const { name, utf8 } = entryName(raw);
    const localPath = utf8 ? path.join(landingDir, name) : Buffer.concat([Buffer.from(`${landingDir}${path.sep}`), raw]);
    const info = await stat(localPath).catch(() => undefined);
    if (info?.isFile()) first.set(name, { localPath, utf8, size: info.size, mtimeMs: info.mtimeMs });
  }
  if (first.size > 0 && settleMs > 0) await sleep(settleMs);
  const complete: LandingFile[] = [];
  const waiting: string[] = [];
  for (const [name, before] of first) {
    const after = await stat(before.localPath).catch(() => undefined);
    if (after && after.size === before.size && after.mtimeMs === before.mtimeMs) complete.push({ fileName: name, localPath: before.localPath, bytes: after.size, ...(before.utf8 ? {} : { notUtf8: true as const }) });
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

/**
 * Streams a file once: sha256, byte count and its first line, never the whole file in memory. A
 * file of only a BOM and line ends is empty; the header is parsed as RFC 4180, as the rows are (a
 * quoted name may hold a comma).
 */
export async function fileFacts(localPath: string | Buffer): Promise<FileFacts> {
  const hash = createHash('sha256');
  let bytes = 0;
  let head = Buffer.alloc(0);
  let headDone = false;
  let content = false;
  for await (const chunk of createReadStream(localPath, { highWaterMark: 1 << 20 })) {
    const buffer = chunk as Buffer;
    hash.update(buffer);
    // The first chunk's BOM is not content.
    if (!content && /\S/.test((bytes === 0 && buffer.subarray(0, 3).equals(bomBytes) ? buffer.subarray(3) : buffer).toString('latin1'))) content = true;
    bytes += buffer.length;
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
  return { sha256: hash.digest('hex'), bytes, bom, columns: headerColumns(headerLine), empty: !content };
}

/** A header line's column names, trimmed, by RFC 4180 (a malformed line: the line as one name, which lacks the required columns). */
export function headerColumns(line: string): string[] {
  if (line.trim() === '') return [];
  try {
    const [record] = parse(line, { relax_column_count: true, trim: true }) as string[][];
    return record ?? [];
  } catch {
    return [line.trim()];
  }
}

/** Why a file of a known family cannot be ingested, or undefined when its header has every required column. */
export function missingColumns(dataset: Dataset, columns: readonly string[]): string[] {
  const present = new Set(columns);
  return requiredColumns[dataset].filter((column) => !present.has(column));
}

/**
 * Moves a local file into `dir` (created), keeping its name, byte for byte when the path is bytes;
 * a copy + unlink across filesystems. Idempotent: a file already moved (source gone, target
 * present) is not an error.
 */
export async function moveInto(localPath: string | Buffer, dir: string): Promise<string | Buffer> {
  await mkdir(dir, { recursive: true });
  const target = typeof localPath === 'string' ? path.join(dir, path.basename(localPath)) : Buffer.concat([Buffer.from(`${dir}${path.sep}`), localPath.subarray(localPath.lastIndexOf(path.sep) + 1)]);
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

/** The longest file name the local filesystems take (ext4, xfs, tmpfs: 255 bytes). */
const maxNameBytes = 255;

/** The reason file's name: `<fileName>.reason.json`, or `<sha256 of the name>.reason.json` when that is too long (the name is in the file). */
export function reasonFileName(fileName: string): string {
  const plain = `${fileName}.reason.json`;
  return Buffer.byteLength(plain) <= maxNameBytes ? plain : `${createHash('sha256').update(fileName).digest('hex')}.reason.json`;
}

/** Writes the reason file of a rejected file into `dir` (see {@link reasonFileName}), through a short temporary name. */
export async function writeReason(dir: string, fileName: string, reason: Record<string, unknown>): Promise<void> {
  await mkdir(dir, { recursive: true });
  const temporary = path.join(dir, `.reason-${randomBytes(8).toString('hex')}.tmp`);
  await writeFile(temporary, JSON.stringify({ fileName, ...reason }, null, 2) + '\n');
  await rename(temporary, path.join(dir, reasonFileName(fileName)));
}
