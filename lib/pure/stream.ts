/**
 * Names and paths of the streaming zone (ARCHITECTURE.md, "Storage layout"):
 *
 *   <root>/stream/app_events/event_date=YYYY-MM-DD/event_hour=HH/<topic>+<partition>+<first>+<last>.jsonl
 *   <root>/stream/_commits/<topic>+<partition>.json   the partition's next offset: what is durable
 *
 * A data file's name carries the offsets it holds, so what the stream wrote can be checked, and
 * recovered, from HDFS alone. Kafka topic names cannot hold `+`, so the name splits unambiguously.
 */

export interface StreamFile {
  readonly topic: string;
  readonly partition: number;
  /** First and last offsets of the flush that wrote the file (decimal text: 64-bit). */
  readonly first: string;
  readonly last: string;
}

export const streamFileExtension = '.jsonl';

export const streamTableDir = (root: string) => `${root}/stream/app_events`;

/** The hour partition's directory; the hour is two digits (`event_hour=07`), its value the INT 7. */
export const hourPartitionDir = (root: string, eventDate: string, eventHour: number) =>
  `${streamTableDir(root)}/event_date=${eventDate}/event_hour=${String(eventHour).padStart(2, '0')}`;

export const streamCommitsDir = (root: string) => `${root}/stream/_commits`;
export const streamCommitPath = (root: string, topic: string, partition: number) => `${streamCommitsDir(root)}/${topic}+${partition}.json`;

export function streamFileName({ topic, partition, first, last }: StreamFile): string {
  return `${topic}+${partition}+${first}+${last}${streamFileExtension}`;
}

/** The offsets a data file's name carries, or undefined for any other name (a hidden temporary file, a compacted file). */
export function parseStreamFileName(name: string): StreamFile | undefined {
  const match = /^([A-Za-z0-9._-]+)\+(\d+)\+(\d+)\+(\d+)\.jsonl$/.exec(name);
  if (!match) return undefined;
  return { topic: match[1]!, partition: Number(match[2]), first: match[3]!, last: match[4]! };
}
