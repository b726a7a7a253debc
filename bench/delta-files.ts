// The files of a Delta table's current version and which of them a date filter reads, from the
// table's own log on HDFS: every commit file replayed in order (add and remove actions), each added
// file with the min and max of the date column from its statistics. A filter `column = D` reads the
// files whose [min, max] holds D: Delta's data skipping makes the same test. (The JSON commits are
// kept for 30 days, checkpoints or not, so replaying them all gives the current version.)
import type { HdfsClient } from '../lib/hdfs-client';

export interface DateSkipping {
  /** Data files of the current version. */
  readonly files: number;
  /** Files whose statistics say they may hold the date: what the filter reads. */
  readonly read: number;
}

interface AddAction {
  path: string;
  stats?: string;
  partitionValues?: Record<string, string>;
}

export async function filesForDate(hdfs: HdfsClient, tableDir: string, column: string, date: string): Promise<DateSkipping> {
  const logDir = `${tableDir}/_delta_log`;
  const commits = (await hdfs.list(logDir)).filter((entry) => /^\d{20}\.json$/.test(entry.name)).map((entry) => entry.name).sort();
  const live = new Map<string, { min?: string; max?: string }>();
  for (const commit of commits) {
    for (const line of (await hdfs.readText(`${logDir}/${commit}`)).split('\n')) {
      if (line.trim() === '') continue;
      const action = JSON.parse(line) as { add?: AddAction; remove?: { path: string } };
      if (action.remove) live.delete(action.remove.path);
      if (action.add) {
        // a partition column has no statistics: its value is the file's partition value
        const partition = action.add.partitionValues?.[column];
        const stats = action.add.stats ? (JSON.parse(action.add.stats) as { minValues?: Record<string, string>; maxValues?: Record<string, string> }) : {};
        live.set(action.add.path, partition !== undefined ? { min: partition, max: partition } : { min: stats.minValues?.[column], max: stats.maxValues?.[column] });
      }
    }
  }
  // A file without statistics for the column cannot be skipped.
  const read = [...live.values()].filter(({ min, max }) => min === undefined || max === undefined || (min <= date && date <= max)).length;
  return { files: live.size, read };
}
