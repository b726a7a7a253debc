import { ApplicationFailure } from '@temporalio/common';
import type { ActivityDeps } from './deps';
import { heartbeat, statementOptions } from './heartbeat';
import { ContractError } from '../lib/errors';
import { executeJob, queryJob } from '../lib/jobs';
import { readCommittedOffsets } from '../lib/stream/commits';
import { parseLogicalHour, type LogicalHour } from '../lib/pure/batch';
import { isCalendarDate } from '../lib/pure/calendar-date';
import { sqlIdentifier, sqlString } from '../lib/pure/sql';
import { appEventsColumns, appEventsSql } from '../lib/pure/schemas';
import type { StatementOptions } from '../lib/hive-client';
import { createKafka, recordsWithin } from '../lib/kafka';
import { streamAuditId, type CheckStatus } from '../lib/pure/dq';
import { batchAuditor } from './audit';
import { contractBrokenIsFinal } from './failures';
import { ensureWarehouse } from '../lib/warehouse-setup';
import {
  appEventsTableDir,
  filesGlob,
  hourPartitionDir,
  logicalHourOfStreamHour,
  parseHourDirNames,
  parseVersionName,
  splitCommitted,
  streamTableDir,
  versionDir,
  versionsDir,
  type StreamHour,
} from '../lib/pure/stream';

/**
 * Stream maintenance: the streaming zone's closed hours into `q_dwh.app_events`, exactly once.
 *
 * The stream worker writes small JSON-lines files per hour; the table never reads them there. For
 * one hour partition, a compaction:
 *
 * 1. takes the live files that the partitions' commit files say are durable (a file of a flush
 *    still running or interrupted is left: its offsets are past its partition's commit);
 * 2. writes a new Parquet version `<table>/event_date=D/event_hour=HH/v<N>` from the registered
 *    version's rows and those files, each (topic, partition, offset) once, and checks it;
 * 3. switches the partition to it with one `ALTER TABLE … ADD PARTITION … LOCATION` (a new hour)
 *    or `… SET LOCATION` (an hour with late files): the commit point, atomic in the metastore, so a
 *    reader sees the old version or the new, never a mix;
 * 4. deletes the live files it took, and every version but the new one and the one it replaced
 *    (kept one cycle for readers that planned on it).
 *
 * A crash before 3 leaves an unused version directory (deleted by the hour's next compaction); a
 * crash between 3 and 4 leaves live files that are already in the version, and the next compaction
 * takes them again without doubling a row (rows are unique by lineage, the registered one wins).
 * The hour's compactions must not run at once: the activities run on the batch lane (one slot).
 */

export interface StreamHourCompaction extends StreamHour {
  /** The version now registered, `v<N>`. */
  readonly version: number;
  readonly location: string;
  /** `added`: a new partition; `replaced`: a registered hour that received late files. */
  readonly outcome: 'added' | 'replaced';
  /** Live files compacted (and deleted). */
  readonly files: number;
  /** Rows of the hour before and after. */
  readonly rowsBefore: number;
  readonly rows: number;
}

/** The app_events checks' verdicts on one compacted hour (dq_results, batch id `stream:<hour>`), by status. */
export interface StreamHourChecks {
  readonly auditId: string;
  readonly checks: Readonly<Record<CheckStatus, number>>;
}

export interface StreamRepairResult {
  /** Partitions whose location was set to the newest complete version on disk. */
  readonly registered: number;
  /** Partitions dropped from the metastore because no version of theirs is left on disk. */
  readonly dropped: number;
}

interface VersionCounts {
  rows: number;
  keys: number;
  registered_rows: number;
  live_rows: number;
}

/** Rows per Parquet file of a version: a busy hour is a few files of bounded size, a quiet one a single file. */
const maxRecordsPerFile = 2_000_000;

/** The path of a metastore location URI (`hdfs://host:port/path` → `/path`). */
const pathOf = (location: string) => location.replace(/^[a-z]+:\/\/[^/]+/, '');

/** A checked hour's partition spec: the date is a real `YYYY-MM-DD`, the hour an integer 0–23. */
function partitionSpec({ eventDate, eventHour }: StreamHour): string {
  if (!isCalendarDate(eventDate) || !Number.isInteger(eventHour) || eventHour < 0 || eventHour > 23) {
    throw ApplicationFailure.nonRetryable(`not an hour partition: ${JSON.stringify({ eventDate, eventHour })}`, 'INVALID_INPUT');
  }
  return `PARTITION (event_date = ${sqlString(eventDate)}, event_hour = ${eventHour})`;
}

/** The stream maintenance activities the worker registers (on the batch lane). */
export function streamMaintenanceActivities(deps: ActivityDeps) {
  const { config, hdfs, hive, log } = deps;
  const { root } = config.hdfs;
  const audit = batchAuditor(deps);
  const database = sqlIdentifier(config.hive.database);
  const table = `${config.hive.database}.app_events`;
  const maintenanceLog = log.child({ component: 'stream-maintenance' });

  // The table's columns and the compaction's reading of the stream's JSON lines, from the event contract.
  const eventColumns = appEventsColumns();
  const { definitions, ...compactionColumns } = appEventsSql(eventColumns);

  async function ensureTable(): Promise<void> {
    await executeJob(hive, 'app_events_ddl', { database, location: appEventsTableDir(root), columns: definitions }, statementOptions({ step: 'ddl' }));
    // A table created before a column was in the contract gets it (its older rows read NULL there).
    const described = await hive.query<{ col_name: string }>(`DESCRIBE TABLE ${table}`, statementOptions({ step: 'ddl' }));
    const present = new Set(described.rows.map((row) => row.col_name));
    const missing = eventColumns.filter((column) => !present.has(column.name));
    if (missing.length > 0) {
      await hive.execute(`ALTER TABLE ${table} ADD COLUMNS (${appEventsSql(missing).definitions.code})`, statementOptions({ step: 'ddl' }));
      maintenanceLog.info({ table, columns: missing.map((column) => column.name) }, 'added the contract\'s new columns to app_events');
    }
  }

  /** The partitions' committed offsets; a commit file without one breaks the stream's contract. */
  async function committedOffsets(): Promise<Map<string, bigint>> {
    try {
      return await readCommittedOffsets(hdfs, root);
    } catch (error) {
      if (error instanceof ContractError) throw ApplicationFailure.nonRetryable(error.message, 'CONTRACT_BROKEN');
      throw error;
    }
  }

  /** The registered location of an hour partition, or undefined when the hour is not registered. */
  async function registeredLocation(hour: StreamHour, options?: StatementOptions): Promise<string | undefined> {
    const spec = partitionSpec(hour);
    const shown = await hive.query(`SHOW PARTITIONS ${table} ${spec}`, options);
    if (shown.rows.length === 0) return undefined;
    const described = await hive.query<{ col_name: string; data_type: string }>(`DESCRIBE TABLE EXTENDED ${table} ${spec}`, options);
    const location = described.rows.find((row) => row.col_name === 'Location')?.data_type;
    if (!location) throw new Error(`app_events ${spec} is registered without a location`);
    return pathOf(location);
  }

  /** The commit point: the hour partition now reads `location` (added when new, else switched), in one metastore call. */
  async function registerVersion(hour: StreamHour, location: string, registered: boolean, options?: StatementOptions): Promise<void> {
    const spec = partitionSpec(hour);
    await hive.execute(registered ? `ALTER TABLE ${table} ${spec} SET LOCATION ${sqlString(location)}` : `ALTER TABLE ${table} ADD ${spec} LOCATION ${sqlString(location)}`, options);
  }

  /**
   * Removes an hour's live directory once compaction emptied it, so listing the zone stays cheap.
   * A non-recursive delete: HDFS refuses it when the stream worker has meanwhile put a file there
   * (a late event), and that file is simply compacted next time.
   */
  async function removeIfEmpty(dir: string): Promise<void> {
    if ((await hdfs.listIfExists(dir)).length > 0) return;
    await hdfs.delete(dir).catch((error: unknown) => maintenanceLog.debug({ dir, error: (error as Error).message }, 'kept a live directory that is no longer empty'));
  }

  /** Records produced to the source topic, and dead letters to the DLQ topic, within a logical hour (Kafka timestamps). */
  async function hourRecordCounts(hour: LogicalHour): Promise<{ letters: number; records: number }> {
    const start = parseLogicalHour(hour).epochMs;
    const kafka = createKafka(config.kafka, log.child({ component: 'kafka' }));
    return {
      records: await recordsWithin(kafka, config.kafka.topic, start, start + 3_600_000),
      letters: await recordsWithin(kafka, config.kafka.dlqTopic, start, start + 3_600_000),
    };
  }

  async function versionNumbers(hour: StreamHour): Promise<number[]> {
    const entries = await hdfs.listIfExists(versionsDir(root, hour.eventDate, hour.eventHour));
    return entries.flatMap((entry) => (entry.type === 'DIRECTORY' ? (parseVersionName(entry.name) ?? []) : [])).sort((a, b) => a - b);
  }

  return {
    /**
     * The hours of the streaming zone before `before` (a logical hour `YYYY-MM-DDTHH`) that hold
     * committed live files: new hours, and older ones that received late events since their last
     * compaction. Oldest first.
     */
    async listStreamHoursToCompact(before: LogicalHour): Promise<StreamHour[]> {
      parseLogicalHour(before);
      const committed = await committedOffsets();
      const hours: StreamHour[] = [];
      for (const dateDir of await hdfs.listIfExists(streamTableDir(root))) {
        if (dateDir.type !== 'DIRECTORY') continue;
        for (const hourDir of await hdfs.list(dateDir.path)) {
          const hour = parseHourDirNames(dateDir.name, hourDir.name);
          if (!hour || logicalHourOfStreamHour(hour) >= before) continue;
          const names = (await hdfs.list(hourDir.path)).map((file) => file.name);
          if (splitCommitted(names, committed).committed.length > 0) hours.push(hour);
        }
      }
      hours.sort((a, b) => logicalHourOfStreamHour(a).localeCompare(logicalHourOfStreamHour(b)));
      maintenanceLog.info({ before, hours: hours.length }, 'listed the stream hours to compact');
      return hours;
    },

    /** Compacts one hour partition and registers it (see the module comment); undefined when it has no committed live file. */
    async compactStreamHour(hour: StreamHour): Promise<StreamHourCompaction | undefined> {
      const { eventDate, eventHour } = hour;
      partitionSpec(hour);
      const started = Date.now();
      const progress = statementOptions({ eventDate, eventHour });
      await ensureTable();
      const liveDir = hourPartitionDir(root, eventDate, eventHour);
      const committed = splitCommitted((await hdfs.listIfExists(liveDir)).map((file) => file.name), await committedOffsets()).committed;
      if (committed.length === 0) return undefined;

      const previous = await registeredLocation(hour);
      const existing = await versionNumbers(hour);
      const version = (existing.at(-1) ?? 0) + 1;
      const target = versionDir(root, eventDate, eventHour, version);
      const partition = { database, event_date: eventDate, event_hour: eventHour, target };
      await executeJob(
        hive,
        'app_events_compact',
        { ...partition, live_files: filesGlob(liveDir, committed), max_records_per_file: maxRecordsPerFile, ...compactionColumns },
        progress,
      );
      const [counts] = await queryJob<VersionCounts>(hive, 'app_events_version_counts', partition, progress);
      const [rows, keys, rowsBefore, liveRows] = [counts!.rows, counts!.keys, counts!.registered_rows, counts!.live_rows].map(Number) as [number, number, number, number];
      if (!(await hdfs.exists(`${target}/_SUCCESS`)) || rows !== keys || rows < rowsBefore || rows > rowsBefore + liveRows) {
        throw ApplicationFailure.nonRetryable(`compacted ${target} does not check out: ${JSON.stringify(counts)}`, 'CONTRACT_BROKEN');
      }

      await registerVersion(hour, target, previous !== undefined, progress);

      for (const [index, name] of committed.entries()) {
        await hdfs.delete(`${liveDir}/${name}`);
        if (index % 50 === 0) heartbeat({ eventDate, eventHour, deleted: index });
      }
      await removeIfEmpty(liveDir);
      for (const old of existing) {
        if (versionDir(root, eventDate, eventHour, old) !== previous) await hdfs.delete(versionDir(root, eventDate, eventHour, old), { recursive: true });
      }
      const result: StreamHourCompaction = { eventDate, eventHour, version, location: target, outcome: previous ? 'replaced' : 'added', files: committed.length, rowsBefore, rows };
      maintenanceLog.info({ ...result, ms: Date.now() - started }, 'compacted a stream hour');
      return result;
    },

    /**
     * Runs the app_events checks (`checks/app_events.yml`) on one registered hour and records them
     * under batch id `stream:<hour>`. Nothing is held: the hour is already published, and the checks
     * are warnings about the stream (a `fail` is recorded and logged as such). The dead-letter rate
     * counts, by Kafka record timestamps (offset by timestamp per partition), the letters written to
     * the DLQ topic within the hour and the records produced to the source topic within it: in
     * processing time, so it is about the hour's traffic as it arrived.
     */
    async auditStreamHour(hour: StreamHour): Promise<StreamHourChecks> {
      partitionSpec(hour);
      // The results' tables (the warehouse DDL): stream maintenance may run before any batch did.
      await contractBrokenIsFinal(() => ensureWarehouse({ hive, database: config.hive.database, log, statementOptions: statementOptions({ step: 'tables' }) }));
      const auditId = streamAuditId(hour.eventDate, hour.eventHour);
      const logicalHour = logicalHourOfStreamHour(hour);
      const deadLetters = await hourRecordCounts(logicalHour);
      const { counts } = await audit(auditId, logicalHour, ['app_events'], statementOptions({ auditId }), { step: 'stream-audit', deadLetters });
      return { auditId, checks: counts };
    },

    /**
     * The explicit full repair: points every hour partition at the newest complete version on disk
     * (one with `_SUCCESS`), registering hours the metastore lost, and drops registered partitions
     * with no version left. `MSCK REPAIR TABLE` cannot do this: it registers the hour directory
     * itself, which holds versions, not data files. It heartbeats once per hour and while each
     * statement runs (a year of hours outlasts the heartbeat timeout many times over).
     */
    async repairStreamPartitions(): Promise<StreamRepairResult> {
      await ensureTable();
      const onDisk = new Set<string>();
      let registered = 0;
      let seen = 0;
      for (const dateDir of await hdfs.listIfExists(appEventsTableDir(root))) {
        if (dateDir.type !== 'DIRECTORY') continue;
        for (const hourDir of await hdfs.list(dateDir.path)) {
          const hour = parseHourDirNames(dateDir.name, hourDir.name);
          if (!hour) continue;
          const progress = { step: 'repair', eventDate: hour.eventDate, eventHour: hour.eventHour, hoursSeen: ++seen, registered };
          heartbeat(progress);
          const complete = [];
          for (const version of await versionNumbers(hour)) {
            if (await hdfs.exists(`${versionDir(root, hour.eventDate, hour.eventHour, version)}/_SUCCESS`)) complete.push(version);
          }
          const newest = complete.at(-1);
          if (newest === undefined) continue;
          const location = versionDir(root, hour.eventDate, hour.eventHour, newest);
          onDisk.add(`event_date=${hour.eventDate}/event_hour=${hour.eventHour}`);
          const current = await registeredLocation(hour, statementOptions(progress));
          if (current === location) continue;
          await registerVersion(hour, location, current !== undefined, statementOptions(progress));
          registered += 1;
        }
      }
      let dropped = 0;
      for (const { partition } of (await hive.query<{ partition: string }>(`SHOW PARTITIONS ${table}`, statementOptions({ step: 'repair', listing: 'partitions' }))).rows) {
        if (onDisk.has(partition)) continue;
        const match = /^event_date=(\d{4}-\d{2}-\d{2})\/event_hour=(\d+)$/.exec(partition);
        if (!match) continue;
        const progress = { step: 'repair', dropping: partition, dropped };
        heartbeat(progress);
        await hive.execute(`ALTER TABLE ${table} DROP IF EXISTS ${partitionSpec({ eventDate: match[1]!, eventHour: Number(match[2]) })}`, statementOptions(progress));
        dropped += 1;
      }
      maintenanceLog.info({ registered, dropped }, 'repaired the app_events partitions');
      return { registered, dropped };
    },
  };
}
