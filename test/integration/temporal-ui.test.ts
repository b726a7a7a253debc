import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Client } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { chromium, type Browser, type Page } from 'playwright-core';
import { applySchedules, pipelineSchedules } from '../../client/schedules';
import { HdfsClient } from '../../lib/hdfs-client';
import { HiveClient } from '../../lib/hive-client';
import { silentLogger } from '../../lib/log';
import { createTemporalClient } from '../../lib/temporal';
import { createQpipeWorker, type QpipeWorker } from '../../workers/temporal-worker';
import { hourlyBatch } from '../../workflows/hourly-batch';
import { isolatedConfig, realDataDir } from '../helpers/isolated';

// The Temporal UI of the local stack, driven in headless Chromium (Debian's `chromium`, which
// bin/test installs): an operator finds the schedules and the completed hourly runs there.

Runtime.install({ logger: new DefaultLogger('WARN') });

const chromiumPath = process.env.QPIPE_CHROMIUM ?? '/usr/bin/chromium';
const config = isolatedConfig('ui');
const ui = `${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}`;
const workflowId = (hour: string) => `hourly-batch-${hour}-${config.hive.database}`;
const hours = ['2026-01-01T01', '2026-01-01T02'];

describe('the Temporal UI shows the schedules and the hourly runs', () => {
  let client: Client;
  let worker: QpipeWorker;
  let running: Promise<void>;
  let browser: Browser;
  let page: Page;
  const runIds: string[] = [];

  beforeAll(async () => {
    if (!existsSync(chromiumPath)) throw new Error(`${chromiumPath} is missing: install Debian's chromium (bin/test does) or set QPIPE_CHROMIUM`);
    client = await createTemporalClient(config.temporal);
    await applySchedules(client, pipelineSchedules(config));
    worker = await createQpipeWorker(config, silentLogger);
    running = worker.run();
    // A small test load: group 1 in the first hour, nothing new in the second.
    mkdirSync(config.dirs.landing, { recursive: true });
    for (const file of readdirSync(path.join(realDataDir, 'group1'))) copyFileSync(path.join(realDataDir, 'group1', file), path.join(config.dirs.landing, file));
    for (const hour of hours) {
      const handle = await client.workflow.start(hourlyBatch, { workflowId: workflowId(hour), taskQueue: config.temporal.taskQueue, args: [{ hour }] });
      await handle.result();
      runIds.push(handle.firstExecutionRunId);
    }
    browser = await chromium.launch({ executablePath: chromiumPath, args: ['--no-sandbox', '--disable-dev-shm-usage'] });
    page = await browser.newPage();
  }, 600_000);

  afterAll(async () => {
    await browser?.close();
    worker?.shutdown();
    await running;
    await worker?.close();
    for (const schedule of pipelineSchedules(config)) await client.schedule.getHandle(schedule.scheduleId).delete().catch(() => undefined);
    await client?.connection.close();
    const hive = new HiveClient(config.hive, silentLogger);
    await hive.connect();
    await hive.execute(`DROP DATABASE IF EXISTS ${config.hive.database} CASCADE`);
    await hive.close();
    await new HdfsClient(config.hdfs, silentLogger).delete(config.hdfs.root, { recursive: true });
  }, 120_000);

  it('lists every schedule on the schedules page', async () => {
    await page.goto(`${ui}/schedules`);
    for (const schedule of pipelineSchedules(config)) {
      await expect(page.getByText(schedule.scheduleId, { exact: true }).first().waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    }
  });

  it('lists the completed hourlyBatch runs of the load', async () => {
    const query = `WorkflowType="hourlyBatch" AND TaskQueue="${config.temporal.taskQueue}"`;
    await page.goto(`${ui}/workflows?query=${encodeURIComponent(query)}`);
    for (const hour of hours) {
      const row = page.locator('tr', { hasText: workflowId(hour) });
      await row.first().waitFor({ timeout: 30_000 });
      expect(await row.first().innerText()).toMatch(/Completed/i);
    }
  });

  it("shows a run's input, result and activities in its history", async () => {
    await page.goto(`${ui}/workflows/${encodeURIComponent(workflowId(hours[0]!))}/${runIds[0]}/history`);
    for (const activity of ['ingestLanding', 'listPendingBatches', 'processBatch']) {
      await expect(page.getByText(activity).first().waitFor({ timeout: 30_000 })).resolves.toBeUndefined();
    }
    const text = await page.locator('body').innerText();
    expect(text).toMatch(/COMPLETED/);
    // The run's result: the first hour ingested group 1's three files.
    expect(text).toMatch(/"ingested": 3,/);
  });
});
