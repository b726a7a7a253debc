import { describe, expect, it } from '@jest/globals';
import { MetricsRegistry } from '../../lib/metrics';

describe('MetricsRegistry', () => {
  it('renders counters, gauges and histograms in the Prometheus text format, with escaped labels', () => {
    const registry = new MetricsRegistry();
    const rows = registry.counter('qpipe_rows_total', 'Rows.');
    rows.inc({ table: 'fact', outcome: 'loaded' }, 3);
    rows.inc({ table: 'fact', outcome: 'loaded' }, 2);
    rows.inc({ table: 'a"b\\c\nd', outcome: 'rejected' });
    registry.gauge('qpipe_slot', 'Slot.').set({ pipeline: 'hourly-batch' }, 1_700_000_000);
    const seconds = registry.histogram('qpipe_step_seconds', 'Steps.', [1, 5]);
    seconds.observe({ step: 'stage' }, 0.5);
    seconds.observe({ step: 'stage' }, 3);
    seconds.observe({ step: 'stage' }, 9);
    registry.collected('qpipe_lag', 'gauge', 'Lag.', () => [[{ partition: '0' }, 4]]);
    registry.gauge('qpipe_unset', 'Never set: not rendered.');
    expect(registry.render()).toBe(
      [
        '# HELP qpipe_rows_total Rows.',
        '# TYPE qpipe_rows_total counter',
        'qpipe_rows_total{table="fact",outcome="loaded"} 5',
        'qpipe_rows_total{table="a\\"b\\\\c\\nd",outcome="rejected"} 1',
        '# HELP qpipe_slot Slot.',
        '# TYPE qpipe_slot gauge',
        'qpipe_slot{pipeline="hourly-batch"} 1700000000',
        '# HELP qpipe_step_seconds Steps.',
        '# TYPE qpipe_step_seconds histogram',
        'qpipe_step_seconds_bucket{step="stage",le="1"} 1',
        'qpipe_step_seconds_bucket{step="stage",le="5"} 2',
        'qpipe_step_seconds_bucket{step="stage",le="+Inf"} 3',
        'qpipe_step_seconds_sum{step="stage"} 12.5',
        'qpipe_step_seconds_count{step="stage"} 3',
        '# HELP qpipe_lag Lag.',
        '# TYPE qpipe_lag gauge',
        'qpipe_lag{partition="0"} 4',
        '',
      ].join('\n'),
    );
  });

  it('refuses a counter going down, a bad name and a name registered twice', () => {
    const registry = new MetricsRegistry();
    expect(() => registry.counter('qpipe_x_total', 'X.').inc({}, -1)).toThrow('counter qpipe_x_total cannot go down (-1)');
    expect(() => registry.gauge('qpipe-x', 'X.')).toThrow('not a metric name: qpipe-x');
    expect(() => registry.gauge('qpipe_x_total', 'X.')).toThrow('metric qpipe_x_total registered twice');
  });
});
