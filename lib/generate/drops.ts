// Generates hourly drops with the source's shape and quirks (specs/raw-files.md), at any size, for
// demos, tests and benchmarks: per group N, `group<N>/` holds `branches_SS_raw_N.csv`,
// `sales_agents_SS_raw_N.csv` and `sales_transactions_SS_raw_N.csv`.
//
// Deterministic: the same options give byte-identical files. Every group's content derives from
// (seed, group) alone, so `startGroup: 4` writes the same group 4 as a run from group 1.
// The transactions file is streamed in chunks with backpressure: memory stays flat at any size.
// Each file is written beside (`.<name>.partial`, a name no file family matches) and renamed
// into place, so a rerun replaces it and a reader never sees half a file.
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import { join } from 'node:path';
import { createIdPermutation12, createRandom, type Random } from '../pure/random';
import {
  AGENT_NAMES,
  BRANCH_CLASSES,
  BRANCH_LOCATIONS,
  CITIES,
  CITYLESS_VT_POSTAL_CODES,
  CUSTOMER_IDS,
  EMAIL_DOMAINS,
  EMAIL_JUNK,
  FIRST_NAMES,
  LAST_NAMES,
  PAYMENT_METHODS,
  PRODUCTS,
  SLASH_IN_STREET_ADDRESS,
  STREET_DIRECTIONS,
  STREET_NAMES,
  STREET_SUFFIXES,
} from './catalogue';

/** The three file families, their names and their headers exactly as the source sends them. */
export const DROP_FAMILIES = {
  branches: {
    fileName: (group: number) => `branches_SS_raw_${group}.csv`,
    header: 'branch_id,location,establish_date,class',
  },
  salesAgents: {
    fileName: (group: number) => `sales_agents_SS_raw_${group}.csv`,
    header: 'sales_person_id,name,hire_date',
  },
  salesTransactions: {
    fileName: (group: number) => `sales_transactions_SS_raw_${group}.csv`,
    header:
      'transaction_date,transaction_id,customer_id,customer_fname,cusomter_lname,cusomter_email,' +
      'sales_agent_id,branch_id,product_id,product_name,product_category,' +
      'offer_1,offer_2,offer_3,offer_4,offer_5,units,unit_price,is_online,payment_method,shipping_address',
  },
} as const;

export type DropFamily = keyof typeof DROP_FAMILIES;

export interface GenerateDropsOptions {
  /** Directory that receives one `group<N>/` folder per group (created if missing). */
  outDir: string;
  /** How many groups to write: `startGroup` … `startGroup + groups - 1`. At least 1. */
  groups: number;
  /** Transactions per group (the source sends 1,500). 0 writes a header-only file. */
  rows: number;
  /** Seed of everything random: same seed and options, same bytes. */
  seed: number | string;
  /** Number of the first group. Default 1. */
  startGroup?: number;
  /**
   * Group 3's transactions file is a byte-identical replay of group 1's under group 3's name, as in
   * the source. Default true; it only acts when group 3 is written.
   */
  replayOfGroup1AtGroup3?: boolean;
  /** End lines with CRLF instead of LF. Default false. */
  crlf?: boolean;
  /** Start every file with a UTF-8 byte order mark. Default false. */
  bom?: boolean;
  /** Characters per write to the transactions stream. Default 512 Ki. */
  chunkChars?: number;
}

/** The documented defaults of `GenerateDropsOptions`, in one place. */
export const GENERATE_DROPS_DEFAULTS = {
  startGroup: 1,
  replayOfGroup1AtGroup3: true,
  crlf: false,
  bom: false,
  chunkChars: 512 * 1024,
} as const;

export interface GeneratedFile {
  group: number;
  family: DropFamily;
  path: string;
  /** Data rows, header excluded. */
  rows: number;
  bytes: number;
  /** Set when the file's content is another group's (group 3 replays group 1). */
  replayOfGroup?: number;
}

export interface GenerateDropsSummary {
  files: GeneratedFile[];
  /** Data rows written over all files, headers excluded. */
  rows: number;
  bytes: number;
}

/** Reported after each chunk of a transactions file and once per finished file. */
export interface GenerateDropsProgress {
  group: number;
  family: DropFamily;
  rowsWritten: number;
  rowsTotal: number;
  bytesWritten: number;
}

// Source facts the generator reproduces.
const FIRST_DAY_UTC = Date.UTC(2022, 0, 1);
const LAST_DAY_UTC = Date.UTC(2023, 11, 28);
const DAY_MS = 86_400_000;
/** The source's drop: 1,500 rows, 1,000 offline and 500 online, shuffled. */
const ONLINE_BLOCK_ROWS = 1_500;
/** Transaction ids: index = (group - 1) × stride + row, permuted; unique for 10^3 groups of 10^9 rows. */
const TRANSACTION_INDEX_STRIDE = 1_000_000_000;
const MAX_GROUP = 1_000;
const CITYLESS_PROBABILITY = 1 / 150;
const SLASH_IN_STREET_PROBABILITY = 1 / 700;
const OFFER_PROBABILITY = 0.5;
const NO_OFFER_CELLS = ',,,,';
/** `offer_1`…`offer_5` with exactly one `True`, one variant per offer. */
const ONE_OFFER_CELLS: readonly string[] = ['True,,,,', ',True,,,', ',,True,,', ',,,True,', ',,,,True'];

/** Branches in group N's snapshot: group 4 opens one more. */
export function branchCount(group: number): number {
  return group >= 4 ? BRANCH_LOCATIONS.length : BRANCH_LOCATIONS.length - 1;
}

/** Agents in group N's snapshot: group 4 hires one more. */
export function agentCount(group: number): number {
  return group >= 4 ? AGENT_NAMES.length : AGENT_NAMES.length - 1;
}

/** Agents' hire dates are re-sent with other values in groups 1–3, 4 and 5 onwards. */
export function hireDateEpoch(group: number): number {
  if (group <= 3) return 1;
  return group === 4 ? 4 : 5;
}

function formatDate(utcMs: number, padded: boolean): string {
  const date = new Date(utcMs);
  const month = date.getUTCMonth() + 1;
  const day = date.getUTCDate();
  return padded
    ? `${date.getUTCFullYear()}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`
    : `${date.getUTCFullYear()}-${month}-${day}`;
}

function randomDay(random: Random, fromUtc: number, toUtc: number): number {
  return fromUtc + random.int(0, Math.round((toUtc - fromUtc) / DAY_MS)) * DAY_MS;
}

/** Group N's branches snapshot, header first. Stable for a seed, except branch 6 from group 4. */
export function branchLines(seed: number | string, group: number): string[] {
  const random = createRandom(seed, 'branches');
  const lines: string[] = [DROP_FAMILIES.branches.header];
  BRANCH_LOCATIONS.forEach((location, index) => {
    const established = formatDate(randomDay(random, Date.UTC(2014, 0, 1), Date.UTC(2018, 11, 31)), true);
    const branchClass = random.pick(BRANCH_CLASSES);
    if (index < branchCount(group)) lines.push(`${index + 1},${location},${established},${branchClass}`);
  });
  return lines;
}

/** Group N's sales agents snapshot, header first; hire dates unpadded, per `hireDateEpoch`. */
export function agentLines(seed: number | string, group: number): string[] {
  const random = createRandom(seed, 'agents', hireDateEpoch(group));
  const lines: string[] = [DROP_FAMILIES.salesAgents.header];
  AGENT_NAMES.forEach((name, index) => {
    const hired = formatDate(randomDay(random, Date.UTC(2018, 0, 1), Date.UTC(2021, 11, 31)), false);
    if (index < agentCount(group)) lines.push(`${index + 1},${name},${hired}`);
  });
  return lines;
}

/** One CSV field, quoted only when it must be (the `"` junk of an e-mail). */
function csvField(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * Group N's customers: the fixed 101 ids, each with a name and an e-mail for this group only.
 * Returns, per customer, `customer_id,fname,lname,email` for each junk variant.
 */
function customerCells(seed: number | string, group: number): string[][] {
  const random = createRandom(seed, 'customers', group);
  return CUSTOMER_IDS.map((id) => {
    const firstName = random.pick(FIRST_NAMES);
    const lastName = random.pick(LAST_NAMES);
    const email = `${firstName.toLowerCase()}.${lastName.toLowerCase()}@${random.pick(EMAIL_DOMAINS)}`;
    return EMAIL_JUNK.map((junk) => `${id},${firstName},${lastName},${csvField(email + junk)}`);
  });
}

function randomAddress(random: Random): string {
  const street = `${random.int(1, 19_999)} ${random.pick(STREET_DIRECTIONS)}${random.pick(STREET_NAMES)} ${random.pick(STREET_SUFFIXES)}`;
  if (random.chance(CITYLESS_PROBABILITY)) return `${street}//VT/${random.pick(CITYLESS_VT_POSTAL_CODES)}`;
  if (random.chance(SLASH_IN_STREET_PROBABILITY)) return SLASH_IN_STREET_ADDRESS;
  const city = random.pick(CITIES);
  return `${street}/${city.name}/${city.state}/${random.pick(city.postalCodes)}`;
}

function citylessAddress(random: Random): string {
  return `${random.int(1, 999)} ${random.pick(STREET_NAMES)} ${random.pick(STREET_SUFFIXES)}//VT/${random.pick(CITYLESS_VT_POSTAL_CODES)}`;
}

/** Shuffles `flags` in place (Fisher–Yates). */
function shuffle(random: Random, flags: boolean[]): void {
  for (let index = flags.length - 1; index > 0; index -= 1) {
    const other = random.int(0, index);
    const kept = flags[index] as boolean;
    flags[index] = flags[other] as boolean;
    flags[other] = kept;
  }
}

export interface TransactionChunk {
  text: string;
  rows: number;
}

/**
 * The data rows (no header) of group N's transactions file, as chunks of about `chunkChars`
 * characters. Pure: the same arguments give the same chunks. Each block of up to 1,500 rows has
 * ⌊length/3⌋ online rows at random places; the first block holds the `/`-in-street address and a
 * city-less one whenever it has at least two online rows. Offline rows sell through the agents and
 * branches of the previous group's snapshot (a new hire sells from the next drop, as in the source).
 */
export function* transactionChunks(
  seed: number | string,
  group: number,
  rows: number,
  eol = '\n',
  chunkChars: number = GENERATE_DROPS_DEFAULTS.chunkChars,
): Generator<TransactionChunk> {
  const random = createRandom(seed, 'transactions', group);
  const transactionId = createIdPermutation12(seed, 'transaction-id');
  const customers = customerCells(seed, group);
  const dates: string[] = [];
  for (let day = FIRST_DAY_UTC; day <= LAST_DAY_UTC; day += DAY_MS) dates.push(formatDate(day, false));
  const products = PRODUCTS.map((product) => ({
    cells: `${product.id},${product.name},${product.category}`,
    unitPrice: product.unitPrice,
  }));
  const sellingAgents = agentCount(Math.max(1, group - 1));
  const sellingBranches = branchCount(Math.max(1, group - 1));
  const indexBase = (group - 1) * TRANSACTION_INDEX_STRIDE;

  const firstBlockOnline = Math.floor(Math.min(rows, ONLINE_BLOCK_ROWS) / 3);
  const slashSlot = firstBlockOnline >= 2 ? random.int(0, firstBlockOnline - 1) : -1;
  let citylessSlot = firstBlockOnline >= 2 ? random.int(0, firstBlockOnline - 2) : -1;
  if (citylessSlot >= slashSlot && citylessSlot >= 0) citylessSlot += 1;

  const online: boolean[] = [];
  let onlineSeen = 0;
  let text = '';
  let textRows = 0;
  for (let row = 0; row < rows; row += 1) {
    const inBlock = row % ONLINE_BLOCK_ROWS;
    if (inBlock === 0) {
      const blockRows = Math.min(ONLINE_BLOCK_ROWS, rows - row);
      const blockOnline = Math.floor(blockRows / 3);
      online.length = blockRows;
      online.fill(false);
      online.fill(true, 0, blockOnline);
      shuffle(random, online);
    }
    const isOnline = online[inBlock] === true;
    const customer = random.pick(customers);
    const product = random.pick(products);
    let line =
      random.pick(dates) +
      ',trx-' +
      transactionId(indexBase + row) +
      ',' +
      random.pick(customer) +
      ',' +
      (isOnline ? ',' : `${random.int(1, sellingAgents)},${random.int(1, sellingBranches)}`) +
      ',' +
      product.cells +
      ',' +
      (random.chance(OFFER_PROBABILITY) ? random.pick(ONE_OFFER_CELLS) : NO_OFFER_CELLS) +
      ',' +
      random.int(1, 10) +
      ',' +
      product.unitPrice;
    if (isOnline) {
      let address: string;
      if (onlineSeen === slashSlot) address = SLASH_IN_STREET_ADDRESS;
      else if (onlineSeen === citylessSlot) address = citylessAddress(random);
      else address = randomAddress(random);
      line += ',yes,' + random.pick(PAYMENT_METHODS.online) + ',' + address;
      onlineSeen += 1;
    } else {
      // Offline rows stop after payment_method: the shipping_address field is absent (ragged CSV).
      line += ',no,' + random.pick(PAYMENT_METHODS.offline);
    }
    text += line + eol;
    textRows += 1;
    if (text.length >= chunkChars) {
      yield { text, rows: textRows };
      text = '';
      textRows = 0;
    }
  }
  if (textRows > 0) yield { text, rows: textRows };
}

const BOM = '\ufeff';

function partialPath(directory: string, fileName: string): string {
  return join(directory, `.${fileName}.partial`);
}

/** Writes a small file beside its final name, then renames it into place. Returns its bytes. */
async function writeSmallFile(directory: string, fileName: string, text: string): Promise<number> {
  const partial = partialPath(directory, fileName);
  try {
    await writeFile(partial, text);
    await rename(partial, join(directory, fileName));
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
  return Buffer.byteLength(text);
}

/**
 * Streams `chunks` (after `head`) to a file beside `fileName` with backpressure, then renames it
 * into place. Returns the bytes written.
 */
async function writeStreamedFile(
  directory: string,
  fileName: string,
  head: string,
  chunks: Iterable<TransactionChunk>,
  onChunk: (rowsWritten: number, bytesWritten: number) => void,
): Promise<number> {
  const partial = partialPath(directory, fileName);
  const stream = createWriteStream(partial, { highWaterMark: 1024 * 1024 });
  let streamError: unknown;
  stream.on('error', (error) => {
    streamError ??= error;
  });
  let bytes = 0;
  let rows = 0;
  const write = async (text: string): Promise<void> => {
    if (streamError !== undefined) throw streamError;
    bytes += Buffer.byteLength(text);
    if (!stream.write(text)) await once(stream, 'drain');
  };
  try {
    await write(head);
    for (const chunk of chunks) {
      await write(chunk.text);
      rows += chunk.rows;
      onChunk(rows, bytes);
    }
    stream.end();
    await finished(stream);
    if (streamError !== undefined) throw streamError;
    await rename(partial, join(directory, fileName));
  } catch (error) {
    stream.destroy();
    await rm(partial, { force: true });
    throw error;
  }
  return bytes;
}

async function copyInPlace(source: string, directory: string, fileName: string): Promise<void> {
  const partial = partialPath(directory, fileName);
  try {
    await copyFile(source, partial);
    await rename(partial, join(directory, fileName));
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}

function checkWholeNumber(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`generateDrops: ${name} must be an integer in [${min}, ${max}], got ${value}`);
  }
}

/**
 * Writes groups `startGroup` … `startGroup + groups - 1` of drops under `outDir` and returns what it
 * wrote. See `GenerateDropsOptions` for the options and `GENERATE_DROPS_DEFAULTS` for their defaults.
 */
export async function generateDrops(
  options: GenerateDropsOptions,
  progress?: (event: GenerateDropsProgress) => void,
): Promise<GenerateDropsSummary> {
  const settings = { ...GENERATE_DROPS_DEFAULTS, ...options };
  checkWholeNumber('groups', settings.groups, 1);
  checkWholeNumber('startGroup', settings.startGroup, 1);
  checkWholeNumber('last group', settings.startGroup + settings.groups - 1, 1, MAX_GROUP);
  checkWholeNumber('rows', settings.rows, 0, TRANSACTION_INDEX_STRIDE);
  checkWholeNumber('chunkChars', settings.chunkChars, 1);
  const eol = settings.crlf ? '\r\n' : '\n';
  const head = settings.bom ? BOM : '';
  const toText = (lines: readonly string[]): string => head + lines.map((line) => line + eol).join('');

  const files: GeneratedFile[] = [];
  const transactionsPaths = new Map<number, string>();
  for (let group = settings.startGroup; group < settings.startGroup + settings.groups; group += 1) {
    const directory = join(settings.outDir, `group${group}`);
    await mkdir(directory, { recursive: true });

    const snapshots = [
      { family: 'branches', lines: branchLines(settings.seed, group) },
      { family: 'salesAgents', lines: agentLines(settings.seed, group) },
    ] as const;
    for (const { family, lines } of snapshots) {
      const fileName = DROP_FAMILIES[family].fileName(group);
      const bytes = await writeSmallFile(directory, fileName, toText(lines));
      const rows = lines.length - 1;
      files.push({ group, family, path: join(directory, fileName), rows, bytes });
      progress?.({ group, family, rowsWritten: rows, rowsTotal: rows, bytesWritten: bytes });
    }

    const family = 'salesTransactions';
    const fileName = DROP_FAMILIES[family].fileName(group);
    const path = join(directory, fileName);
    const contentGroup = group === 3 && settings.replayOfGroup1AtGroup3 ? 1 : group;
    const alreadyWritten = transactionsPaths.get(contentGroup);
    let bytes: number;
    if (contentGroup !== group && alreadyWritten !== undefined) {
      await copyInPlace(alreadyWritten, directory, fileName);
      bytes = files.find((file) => file.path === alreadyWritten)?.bytes ?? 0;
    } else {
      bytes = await writeStreamedFile(
        directory,
        fileName,
        head + DROP_FAMILIES[family].header + eol,
        transactionChunks(settings.seed, contentGroup, settings.rows, eol, settings.chunkChars),
        (rowsWritten, bytesWritten) =>
          progress?.({ group, family, rowsWritten, rowsTotal: settings.rows, bytesWritten }),
      );
    }
    transactionsPaths.set(group, path);
    files.push({
      group,
      family,
      path,
      rows: settings.rows,
      bytes,
      ...(contentGroup !== group ? { replayOfGroup: contentGroup } : {}),
    });
    progress?.({ group, family, rowsWritten: settings.rows, rowsTotal: settings.rows, bytesWritten: bytes });
  }
  return {
    files,
    rows: files.reduce((sum, file) => sum + file.rows, 0),
    bytes: files.reduce((sum, file) => sum + file.bytes, 0),
  };
}
