import { describe, expect, it } from '@jest/globals';
import { gatherStatus } from '../../client/status';
import { loadConfig } from '../../lib/config';
import { silentLogger } from '../../lib/log';
import { evaluateStatus, type PipelineFacts, type StatusFacts } from '../../lib/pure/status';

const now = Date.parse('2026-12-05T12:00:00Z');
const minutesBefore = (minutes: number) => new Date(now - minutes * 60_000).toISOString();
const pipeline = (name: string, facts: Partial<PipelineFacts> = {}): PipelineFacts => ({ name, schedule: { paused: false, nextRun: '2026-12-05T12:05:00.000Z' }, lastSuccessSlot: '2026-12-05T10', lastSuccessAt: minutesBefore(30), lastFailure: null, running: 0, ...facts });
const healthy: StatusFacts = {
  now,
  pipelines: [pipeline('hourly-batch'), pipeline('daily-dump', { lastSuccessSlot: '2026-12-04' }), pipeline('stream-maintenance'), pipeline('warehouse-maintenance', { lastSuccessSlot: null, lastSuccessAt: null })],
  pendingBatches: [],
  heldBatches: [],
  newestHourLoaded: '2026-12-05T10',
  stream: { topic: 'app_logs', partitions: [{ partition: 0, committed: 120n, end: 130n, objectiveOffset: 100n }, { partition: 1, committed: 50n, end: 50n, objectiveOffset: 50n }], lastDurableAt: minutesBefore(1), deadLettersLastHour: 3 },
  services: [{ name: 'worker', healthy: true, detail: 'polling' }],
};
const objectives = { batchWithinMinutes: 120, streamWithinMinutes: 5 };
const verdicts = (facts: StatusFacts) => evaluateStatus(facts, objectives).objectives.map((objective) => objective.ok);

describe('qpipe status verdict', () => {
  it('holds every objective when the batch succeeded within 2 h and every record older than 5 min is durable', () => {
    const report = evaluateStatus(healthy, objectives);
    expect(report.ok).toBe(true);
    expect(report.objectives).toEqual([
      { objective: 'hourly-batch succeeded within 2 h', ok: true, detail: 'last success 30 min ago (slot 2026-12-05T10)' },
      { objective: 'stream durable within 5 min', ok: true, detail: 'every record older than 5 min is durable (lag 10)' },
    ]);
    expect(report.pipelines.map((row) => [row.name, row.ok, row.last_success_slot])).toEqual([
      ['hourly-batch', true, '2026-12-05T10'],
      ['daily-dump', true, '2026-12-04'],
      ['stream-maintenance', true, '2026-12-05T10'],
      ['warehouse-maintenance', true, null],
    ]);
    expect(report.stream).toMatchObject({ consumer_lag: 10, dead_letters_last_hour: 3, partitions: [{ partition: 0, committed: '120', end: '130', lag: '10' }, { partition: 1, committed: '50', end: '50', lag: '0' }] });
  });

  it('breaches the batch objective when the last success is older than 2 h, or there is none', () => {
    expect(verdicts({ ...healthy, pipelines: [pipeline('hourly-batch', { lastSuccessAt: minutesBefore(121) })] })).toEqual([false, true]);
    expect(verdicts({ ...healthy, pipelines: [pipeline('hourly-batch', { lastSuccessAt: minutesBefore(120) })] })).toEqual([true, true]);
    expect(evaluateStatus({ ...healthy, pipelines: [pipeline('hourly-batch', { lastSuccessAt: minutesBefore(2) })] }, { ...objectives, batchWithinMinutes: 1 }).objectives[0]).toMatchObject({ objective: 'hourly-batch succeeded within 1 min', ok: false });
    const none = evaluateStatus({ ...healthy, pipelines: [pipeline('hourly-batch', { lastSuccessAt: null, lastSuccessSlot: null })] }, objectives);
    expect(none.ok).toBe(false);
    expect(none.objectives[0]).toEqual({ objective: 'hourly-batch succeeded within 2 h', ok: false, detail: 'no successful run' });
  });

  it('breaches the stream objective when a record older than 5 min is not durable, or the stream cannot be read', () => {
    const behind = evaluateStatus({ ...healthy, stream: { ...healthy.stream, partitions: [{ partition: 2, committed: 90n, end: 130n, objectiveOffset: 100n }] } }, objectives);
    expect(behind.ok).toBe(false);
    expect(behind.objectives[1]).toEqual({ objective: 'stream durable within 5 min', ok: false, detail: 'partitions 2 hold records older than 5 min not durable (10 of them)' });
    expect(verdicts({ ...healthy, stream: { ...healthy.stream, partitions: [], unreadable: 'connect ECONNREFUSED' } })).toEqual([true, false]);
  });

  it('marks a pipeline whose last run failed after its last success, and the hourly batch with a held batch, not ok (objectives aside)', () => {
    const failure = { workflowId: 'daily-dump-2026-12-04', at: minutesBefore(10), status: 'FAILED', reason: 'boom' };
    const report = evaluateStatus({ ...healthy, pipelines: [pipeline('hourly-batch'), pipeline('daily-dump', { lastFailure: failure }), pipeline('stream-maintenance', { lastFailure: { ...failure, at: minutesBefore(60) } })], heldBatches: ['2026-12-05T09'], pendingBatches: ['2026-12-05T09', '2026-12-05T10'] }, objectives);
    expect(report.ok).toBe(true);
    expect(report.pipelines.map((row) => [row.name, row.ok])).toEqual([['hourly-batch', false], ['daily-dump', false], ['stream-maintenance', true]]);
    expect(report.pipelines[1]).toMatchObject({ last_failure: 'FAILED daily-dump-2026-12-04: boom', last_failure_at: minutesBefore(10) });
    expect(report.pipelines[0]).toMatchObject({ pending_batches: ['2026-12-05T09', '2026-12-05T10'], held_batches: ['2026-12-05T09'] });
    expect(report.warehouse).toEqual({ newest_hour_loaded: '2026-12-05T10', pending_batches: 2, held_batches: 1 });
  });

  it('reports each source it cannot read (Temporal, HDFS, Kafka all refused) instead of failing, and breaches both objectives', async () => {
    const refused = loadConfig({ ...process.env, TEMPORAL_ADDRESS: '127.0.0.1:1', QPIPE_WEBHDFS_URL: 'http://127.0.0.1:1', QPIPE_KAFKA_BROKERS: '127.0.0.1:1', QPIPE_KAFKA_TIMEOUT_MS: '1000', QPIPE_HDFS_TIMEOUT_MS: '2000' });
    const report = await gatherStatus({ config: refused, log: silentLogger });
    expect(report.ok).toBe(false);
    expect(report.objectives.map((objective) => objective.ok)).toEqual([false, false]);
    expect(report.objectives[0]!.detail).toMatch(/^its runs could not be read: /);
    expect(report.objectives[1]!.detail).toMatch(/^the stream could not be read: /);
    expect(report.pipelines.map((row) => [row.name, row.ok, typeof row.unreadable])).toEqual(['hourly-batch', 'daily-dump', 'stream-maintenance', 'warehouse-maintenance'].map((name) => [name, false, 'string']));
    expect(typeof report.warehouse.unreadable).toBe('string');
    expect(report.services.find((service) => service.name === 'worker')).toMatchObject({ healthy: false });
  }, 60_000);
});
