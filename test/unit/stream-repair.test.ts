import { describe, expect, it } from '@jest/globals';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { ActivityDeps } from '../../activities/deps';
import { streamMaintenanceActivities } from '../../activities/stream-maintenance';
import { loadConfig } from '../../lib/config';
import type { HdfsClient } from '../../lib/hdfs-client';
import type { Warehouse } from '../../lib/hive-client';
import { silentLogger } from '../../lib/log';
import { appEventsTableDir } from '../../lib/pure/stream';

// The full repair walks every hour of the zone: it must heartbeat as it goes, or a year of hours
// outlasts its 30 s heartbeat timeout and the repair is retried for ever. HDFS and Hive are fakes
// here; the repair's effect on the real stack is tested in stream-maintenance.test.ts.

const config = loadConfig({ ...process.env, QPIPE_HDFS_ROOT: '/r' });
const root = config.hdfs.root;
const hours = 48;
const date = (n: number) => `2026-01-${String(1 + Math.floor(n / 24)).padStart(2, '0')}`;
const entry = (path: string, type = 'DIRECTORY') => ({ name: path.slice(path.lastIndexOf('/') + 1), path, type });

/** A zone of `hours` hours, each with a complete v1, none registered yet. */
const hdfs = {
  async listIfExists(dir: string) {
    if (dir === appEventsTableDir(root)) return [0, 24].map((n) => entry(`${dir}/event_date=${date(n)}`));
    return [entry(`${dir}/v1`)];
  },
  async list(dir: string) {
    return Array.from({ length: 24 }, (_, hour) => entry(`${dir}/event_hour=${String(hour).padStart(2, '0')}`));
  },
  async exists() {
    return true;
  },
} as unknown as HdfsClient;

describe('the full repair of app_events', () => {
  it('heartbeats once per hour it walks, with where it is, and registers every hour', async () => {
    const statements: string[] = [];
    const hive: Warehouse = {
      async execute(sql: string) {
        statements.push(sql);
      },
      async query(sql: string) {
        statements.push(sql);
        return { columns: [], rows: [] };
      },
    } as unknown as Warehouse;
    const deps: ActivityDeps = { config, hdfs, hive, log: silentLogger };
    const env = new MockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));

    const result = await env.run(() => streamMaintenanceActivities(deps).repairStreamPartitions());
    expect(result).toEqual({ registered: hours, dropped: 0 });
    expect(statements.filter((sql) => sql.includes(' ADD PARTITION ')).length).toBe(hours);
    expect(beats.length).toBeGreaterThanOrEqual(hours);
    expect(beats).toContainEqual(expect.objectContaining({ step: 'repair', eventDate: '2026-01-02', eventHour: 23, hoursSeen: hours }));
  });
});
