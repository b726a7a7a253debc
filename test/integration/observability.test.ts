import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import YAML from 'yaml';
import { loadConfig } from '../../lib/config';
import { HdfsClient } from '../../lib/hdfs-client';
import { HiveClient } from '../../lib/hive-client';
import { silentLogger } from '../../lib/log';
import type { StatusReport } from '../../lib/pure/status';
import { isolatedEnv } from '../helpers/isolated';
import { exited, startWorkerProcess } from '../helpers/worker-process';

const root = path.resolve(__dirname, '..', '..');
const qpipeBin = path.join(root, 'bin', 'qpipe');
const opsDir = path.join(root, 'ops', 'prometheus');
const port = () => 20_000 + randomInt(0, 20_000);
const [workerPort, streamPort, prometheusPort] = [port(), port(), port()];
const id = randomInt(0, 1_000_000);
const env = isolatedEnv('observe', {
  QPIPE_KAFKA_TOPIC: `observe_${id}`,
  QPIPE_STREAM_GROUP: `observe-${id}`,
  QPIPE_WORKER_METRICS_PORT: String(workerPort),
  QPIPE_STREAM_METRICS_PORT: String(streamPort),
});
const config = loadConfig(env);
const hour = '2026-03-01T05';

/** Debian's prometheus package, unpacked by ops/prometheus/install (bin/test runs it first). */
function prometheusBin(): string {
  return process.env.QPIPE_PROMETHEUS_BIN ?? execFileSync(path.join(opsDir, 'install'), { encoding: 'utf8' }).trim();
}

/** `bin/qpipe ARGS` with the test's environment (and `extra`): its exit code and stdout. */
async function qpipe(args: string[], extra: Record<string, string> = {}): Promise<{ code: number; stdout: string }> {
  try {
    const { stdout } = await promisify(execFile)(qpipeBin, args, { env: { ...env, ...extra }, maxBuffer: 16 * 1024 * 1024 });
    return { code: 0, stdout };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? 1, stdout: failed.stdout ?? '' };
  }
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read().catch(() => undefined);
    if (value !== undefined && done(value)) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

const header = 'transaction_date,transaction_id,customer_id,customer_fname,cusomter_lname,cusomter_email,sales_agent_id,branch_id,product_id,product_name,product_category,offer_1,offer_2,offer_3,offer_4,offer_5,units,unit_price,is_online,payment_method,shipping_address';
const sale = (id: number, date: string) => `${date},trx-obs-${id},${9000 + id},Ann,Lee,ann.lee@example.com,1,1,22,Coffee Maker,Appliances,,,,,,2,79.99,no,Cash,`;
// 6 good sales and 2 with a date that is not one: 8 read, 6 loaded, 2 rejected (reject rate 0.25, under the 0.5 that holds a batch)
const goodSales = 6;
const badSales = 2;

describe('observability on the real processes: worker metrics, Prometheus and its rules, qpipe status', () => {
  const hive = new HiveClient(config.hive, silentLogger);
  const hdfs = new HdfsClient(config.hdfs, silentLogger);
  const logDir = mkdtempSync(path.join(tmpdir(), 'qpipe-observe-'));
  let worker: ChildProcess;
  let stream: ChildProcess;
  let prometheus: ChildProcess;

  beforeAll(async () => {
    const bin = prometheusBin();
    worker = startWorkerProcess(env, path.join(logDir, 'worker.log'));
    const streamLog = openSync(path.join(logDir, 'stream.log'), 'a');
    stream = spawn(qpipeBin, ['stream'], { env, stdio: ['ignore', streamLog, streamLog] });
    // The shipped configuration, pointed at this test's ports and scraping every second.
    const shipped = YAML.parse(readFileSync(path.join(opsDir, 'prometheus.yml'), 'utf8')) as { global: Record<string, string>; scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[] };
    shipped.global = { ...shipped.global, scrape_interval: '1s', evaluation_interval: '1s' };
    for (const job of shipped.scrape_configs) job.static_configs = [{ targets: [`127.0.0.1:${job.job_name === 'qpipe-worker' ? workerPort : streamPort}`] }];
    const promDir = path.join(logDir, 'prometheus');
    mkdirSync(promDir);
    writeFileSync(path.join(promDir, 'prometheus.yml'), YAML.stringify(shipped));
    writeFileSync(path.join(promDir, 'rules.yml'), readFileSync(path.join(opsDir, 'rules.yml')));
    const promLog = openSync(path.join(logDir, 'prometheus.log'), 'a');
    prometheus = spawn(path.join(bin, 'prometheus'), [`--config.file=${path.join(promDir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(promDir, 'data')}`, `--web.listen-address=127.0.0.1:${prometheusPort}`], {
      stdio: ['ignore', promLog, promLog],
    });
    await hive.connect();
  }, 180_000);

  afterAll(async () => {
    for (const child of [prometheus, stream, worker]) {
      if (!child) continue;
      child.kill('SIGTERM');
      await exited(child);
    }
    await hive.execute(`DROP DATABASE IF EXISTS ${config.hive.database} CASCADE`).catch(() => undefined);
    await hive.close();
    await hdfs.delete(config.hdfs.root, { recursive: true }).catch(() => undefined);
  }, 120_000);

  it('checks the shipped rules and runs their unit tests with promtool', () => {
    const promtool = path.join(prometheusBin(), 'promtool');
    expect(execFileSync(promtool, ['check', 'rules', path.join(opsDir, 'rules.yml')], { encoding: 'utf8' })).toContain('SUCCESS: 12 rules found');
    expect(execFileSync(promtool, ['check', 'config', path.join(opsDir, 'prometheus.yml')], { encoding: 'utf8' })).toContain(' is valid prometheus config file syntax');
    expect(execFileSync(promtool, ['test', 'rules', path.join(opsDir, 'rules.test.yml')], { encoding: 'utf8', cwd: opsDir })).toContain('SUCCESS');
  });

  it("serves the batch figures and the SDK's metrics on the worker's port, which a real Prometheus scrapes with every rule healthy", async () => {
    const landing = config.dirs.landing;
    mkdirSync(landing, { recursive: true });
    writeFileSync(path.join(landing, 'sales_transactions_SS_raw_1.csv'), [header, ...Array.from({ length: goodSales }, (_, index) => sale(index, '2026-2-28')), ...Array.from({ length: badSales }, (_, index) => sale(100 + index, '2026-2-30'))].join('\n') + '\n');
    writeFileSync(path.join(landing, 'branches_SS_raw_1.csv'), 'branch_id,location,establish_date,class\n1,New York,2017-01-15,A\n');
    writeFileSync(path.join(landing, 'sales_agents_SS_raw_1.csv'), 'sales_person_id,name,hire_date\n1,Ann Lee,2020-01-01\n');
    const run = await qpipe(['run', 'hourly-batch', '--hour', hour, '--wait']);
    expect(run.code).toBe(0);

    // the pipelines' slots and the batch queue are read from Temporal and HDFS at most every 30 s
    const metrics = await eventually(
      async () => (await fetch(`http://127.0.0.1:${workerPort}/metrics`)).text(),
      (text) => text.includes('qpipe_last_success_slot_timestamp_seconds{pipeline="hourly-batch"}'),
      'the last successful slot on the worker\'s endpoint',
    );
    const sample = (series: string) => Number(new RegExp(`\\n${series.replace(/[{}"]/g, (char) => `\\${char}`)} (\\S+)`).exec(metrics)?.[1]);
    expect(sample('qpipe_batch_rows_total{table="sales_transactions",outcome="read"}')).toBe(goodSales + badSales);
    expect(sample('qpipe_batch_rows_total{table="sales_transactions_fact",outcome="loaded"}')).toBe(goodSales);
    expect(sample('qpipe_batch_rows_total{table="rejected_rows",outcome="rejected"}')).toBe(badSales);
    expect(sample('qpipe_batch_files_total{status="ingested"}')).toBe(3);
    expect(sample('qpipe_batches_total{outcome="published"}')).toBe(1);
    expect(sample('qpipe_batch_step_seconds_count{step="stage"}')).toBe(1);
    expect(sample('qpipe_last_success_slot_timestamp_seconds{pipeline="hourly-batch"}')).toBe(Date.parse(`${hour}:00:00Z`) / 1000);
    expect(sample('qpipe_batches_waiting{state="pending"}')).toBe(0);
    // one verdict per check of the batch, as dq_results records them
    const results = JSON.parse((await qpipe(['dq', 'results', '--batch', hour, '--format', 'json'])).stdout) as unknown[];
    const verdicts = [...metrics.matchAll(/\nqpipe_dq_checks_total\{[^}]*\} (\d+)/g)].reduce((sum, match) => sum + Number(match[1]), 0);
    expect(verdicts).toBe(results.length);
    expect(metrics).toMatch(/\ntemporal_\w+/);

    const api = async <T>(query: string) => ((await (await fetch(`http://127.0.0.1:${prometheusPort}/api/v1/${query}`)).json()) as { data: T }).data;
    await eventually(
      () => api<{ activeTargets: { labels: { job: string }; health: string }[] }>('targets'),
      (data) => ['qpipe-worker', 'qpipe-stream'].every((job) => data.activeTargets.some((target) => target.labels.job === job && target.health === 'up')),
      'both targets up',
    );
    const loaded = await eventually(
      () => api<{ result: { value: [number, string] }[] }>(`query?query=${encodeURIComponent('sum(qpipe_batch_rows_total{outcome="loaded",table="sales_transactions_fact"})')}`),
      (data) => data.result.length === 1,
      'the batch figures scraped',
    );
    expect(Number(loaded.result[0]!.value[1])).toBe(goodSales);
    const temporalSeries = await api<{ result: { value: [number, string] }[] }>(`query?query=${encodeURIComponent('count({__name__=~"temporal_.+",job="qpipe-worker"})')}`);
    expect(Number(temporalSeries.result[0]!.value[1])).toBeGreaterThan(0);
    const rules = await eventually(
      () => api<{ groups: { rules: { name: string; health: string; lastEvaluation: string }[] }[] }>('rules'),
      (data) => data.groups.flatMap((group) => group.rules).every((rule) => !rule.lastEvaluation.startsWith('0001')),
      'every rule evaluated',
    );
    const all = rules.groups.flatMap((group) => group.rules);
    expect(all).toHaveLength(12);
    expect(all.filter((rule) => rule.health !== 'ok')).toEqual([]);
    // the quarantine ratio the rules record over the last hour
    const ratio = await eventually(
      () => api<{ result: { value: [number, string] }[] }>(`query?query=${encodeURIComponent('qpipe:batch_quarantine_ratio:1h')}`),
      (data) => data.result.length === 1 && Number(data.result[0]!.value[1]) > 0,
      'the quarantine ratio recorded',
    );
    // of every raw line read (8 sales, 1 branch, 1 agent), 2 rejected; both series come from the same scrapes, so
    // increase() extrapolates them alike and the ratio is the batch's own
    expect(Number(ratio.result[0]!.value[1])).toBeCloseTo(badSales / (goodSales + badSales + 2), 6);
  }, 300_000);

  it('says all is well right after the run (exit 0), and turns red (exit 2) once the last success is older than the objective (1 min here; the worker stopped meanwhile)', async () => {
    // the default objectives: the batch within 2 h, the stream within 5 min
    const green = await qpipe(['status', '--format', 'json']);
    const report = JSON.parse(green.stdout) as StatusReport;
    expect(report.pipelines.find((pipeline) => pipeline.name === 'hourly-batch')).toMatchObject({ last_success_slot: hour, ok: true, pending_batches: [], held_batches: [] });
    expect(report.warehouse.newest_hour_loaded).toBe(hour);
    expect(report.services.find((service) => service.name === 'worker')).toMatchObject({ healthy: true });
    expect(report.objectives.map((objective) => [objective.objective, objective.ok])).toEqual([
      ['hourly-batch succeeded within 2 h', true],
      ['stream durable within 5 min', true],
    ]);
    expect([green.code, report.ok]).toEqual([0, true]);
    const succeededAt = Date.parse(report.pipelines[0]!.last_success_at!);

    worker.kill('SIGTERM');
    await exited(worker);
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, succeededAt + 61_000 - Date.now())));
    // an objective of 1 minute, which the stopped worker outlives
    const oneMinute = { QPIPE_OBJECTIVE_BATCH_MINUTES: '1' };
    const red = await qpipe(['status', '--format', 'json'], oneMinute);
    const breached = JSON.parse(red.stdout) as StatusReport;
    expect(red.code).toBe(2);
    expect(breached.ok).toBe(false);
    expect(breached.objectives[0]).toMatchObject({ objective: 'hourly-batch succeeded within 1 min', ok: false });
    expect(breached.pipelines.find((pipeline) => pipeline.name === 'hourly-batch')).toMatchObject({ last_success_slot: hour, ok: false });
    const table = await qpipe(['status'], oneMinute);
    expect(table.code).toBe(2);
    expect(table.stdout).toContain('BREACHED');
  }, 180_000);
});
