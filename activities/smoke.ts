import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';

export interface HdfsRoundTripResult {
  readonly path: string;
  readonly bytes: number;
}

export function smokeActivities({ hdfs, hive, config }: ActivityDeps) {
  return {
    /** Writes `<root>/smoke/<token>.txt` atomically (replacing a previous run's) and reads it back. */
    async hdfsRoundTrip(token: string): Promise<HdfsRoundTripResult> {
      if (!/^[A-Za-z0-9._-]+$/.test(token)) {
        throw ApplicationFailure.nonRetryable(`smoke token "${token}" is not a safe file name`, 'INVALID_INPUT');
      }
      const path = `${config.hdfs.root}/smoke/${token}.txt`;
      const content = `qpipe smoke ${token}\n`;
      await hdfs.putAtomic(path, content, { overwrite: true });
      const readBack = await hdfs.readText(path);
      if (readBack !== content) throw new Error(`HDFS returned ${JSON.stringify(readBack)} for ${path}, expected ${JSON.stringify(content)}`);
      return { path, bytes: Buffer.byteLength(readBack) };
    },

    /** `SELECT 1 + 1 AS two` on the warehouse's SQL engine. */
    async warehousePing(): Promise<number> {
      const { rows } = await hive.query('SELECT 1 + 1 AS two');
      const two = rows[0]?.two;
      if (typeof two !== 'number') throw new Error(`SELECT 1 + 1 returned ${JSON.stringify(rows)}`);
      return two;
    },
  };
}
