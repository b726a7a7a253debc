/**
 * Names and paths of the streaming zone (ARCHITECTURE.md, "Storage layout"):
 *
 *   <root>/stream/app_events/event_date=YYYY-MM-DD/event_hour=HH/<topic>+<partition>+<first>+<last>.jsonl.gz
 *   <root>/stream/_commits/<topic>+<partition>.json   the partition's next offset: what is durable
 *   <root>/stream/_epochs/<topic>+<partition>/e<N>/   the workspace of the partition's owner N (lib/stream/epoch.ts)
 *
 * A data file's name carries the offsets it holds, so what the stream wrote can be checked, and
 * recovered, from HDFS alone. Kafka topic names cannot hold `+`, so the name splits unambiguously.
 * Files are gzip-compressed JSON lines (Spark picks the codec by the `.gz` suffix); plain `.jsonl`
 * files, which workers before the compression wrote, are still data files.
 */

export interface StreamFile {
  readonly topic: string;
  readonly partition: number;
  /** First and last offsets of the flush that wrote the file (decimal text: 64-bit). */
  readonly first: string;
  readonly last: string;
}

export const streamFileExtension = '.jsonl.gz';

export const streamTableDir = (root: string) => `${root}/stream/app_events`;

/** The hour partition's directory; the hour is two digits (`event_hour=07`), its value the INT 7. */
export const hourPartitionDir = (root: string, eventDate: string, eventHour: number) =>
  `${streamTableDir(root)}/event_date=${eventDate}/event_hour=${String(eventHour).padStart(2, '0')}`;

export const streamCommitsDir = (root: string) => `${root}/stream/_commits`;
export const streamEpochsDir = (root: string, topic: string, partition: number) => `${root}/stream/_epochs/${topic}+${partition}`;
export const streamCommitPath = (root: string, topic: string, partition: number) => `${streamCommitsDir(root)}/${topic}+${partition}.json`;

export function streamFileName({ topic, partition, first, last }: StreamFile): string {
  return `${topic}+${partition}+${first}+${last}${streamFileExtension}`;
}

/** The offsets a data file's name carries, or undefined for any other name (a hidden temporary file, a compacted file). */
export function parseStreamFileName(name: string): StreamFile | undefined {
  const match = /^([A-Za-z0-9._-]+)\+(\d+)\+(\d+)\+(\d+)\.jsonl(?:\.gz)?$/.exec(name);
  if (!match) return undefined;
  return { topic: match[1]!, partition: Number(match[2]), first: match[3]!, last: match[4]! };
}

/**
 * The table's side (stream maintenance): `app_events`' own directory, where each hour partition
 * has numbered Parquet versions and the metastore points the partition at one of them:
 *
 *   <root>/stream/app_events_table/event_date=YYYY-MM-DD/event_hour=HH/v<N>/part-….parquet
 */
export const appEventsTableDir = (root: string) => `${root}/stream/app_events_table`;

export const versionsDir = (root: string, eventDate: string, eventHour: number) =>
  `${appEventsTableDir(root)}/event_date=${eventDate}/event_hour=${String(eventHour).padStart(2, '0')}`;

export const versionDir = (root: string, eventDate: string, eventHour: number, version: number) => `${versionsDir(root, eventDate, eventHour)}/v${version}`;

/** The number of a version directory's name (`v12` → 12), or undefined for any other name. */
export function parseVersionName(name: string): number | undefined {
  const match = /^v([1-9]\d*)$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/** An hour partition of the streaming zone, from its directory names (`event_date=2026-11-24`, `event_hour=07`). */
export interface StreamHour {
  readonly eventDate: string;
  readonly eventHour: number;
}

export function parseHourDirNames(dateDir: string, hourDir: string): StreamHour | undefined {
  const date = /^event_date=(\d{4}-\d{2}-\d{2})$/.exec(dateDir);
  const hour = /^event_hour=(\d{2})$/.exec(hourDir);
  if (!date || !hour || Number(hour[1]) > 23) return undefined;
  return { eventDate: date[1]!, eventHour: Number(hour[1]) };
}

/** The logical hour (`YYYY-MM-DDTHH`) of a stream hour, comparable as text with other logical hours. */
export const logicalHourOfStreamHour = ({ eventDate, eventHour }: StreamHour) => `${eventDate}T${String(eventHour).padStart(2, '0')}`;

/** A partition's commit file key, `<topic>+<partition>`, as the committed offsets map holds it. */
export const topicPartitionKey = (topic: string, partition: number) => `${topic}+${partition}`;

/**
 * Splits an hour's live file names by what the partitions' commit files say is durable: a file is
 * committed when its last offset is below its partition's `nextOffset`. Any other file belongs to
 * a flush still running, or interrupted (its partition's recovery deletes it): compaction leaves it.
 * Names that are not data files (hidden temporaries) are neither.
 */
export function splitCommitted(names: readonly string[], committed: ReadonlyMap<string, bigint>): { committed: string[]; uncommitted: string[] } {
  const result = { committed: [] as string[], uncommitted: [] as string[] };
  for (const name of names) {
    const file = parseStreamFileName(name);
    if (!file) continue;
    const next = committed.get(topicPartitionKey(file.topic, file.partition));
    (next !== undefined && BigInt(file.last) < next ? result.committed : result.uncommitted).push(name);
  }
  result.committed.sort();
  result.uncommitted.sort();
  return result;
}

/**
 * The Spark path that reads exactly these files of one directory: the file itself, or a Hadoop
 * glob `dir/{a,b,…}`. Data file names hold no glob characters (see {@link parseStreamFileName}).
 */
export function filesGlob(dir: string, names: readonly string[]): string {
  if (names.length === 0) throw new RangeError('no files to read');
  for (const name of names) {
    if (!parseStreamFileName(name)) throw new RangeError(`not a stream data file: ${name}`);
  }
  return names.length === 1 ? `${dir}/${names[0]}` : `${dir}/{${names.join(',')}}`;
}
