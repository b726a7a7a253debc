import { describe, expect, it } from '@jest/globals';
import { hourPartitionDir, parseStreamFileName, streamCommitPath, streamFileName } from '../../lib/pure/stream';

describe('streaming zone names', () => {
  it('names a data file after its topic, partition and offset range, and reads it back', () => {
    const file = { topic: 'app_logs', partition: 2, first: '1000', last: '1999' };
    expect(streamFileName(file)).toBe('app_logs+2+1000+1999.jsonl');
    expect(parseStreamFileName('app_logs+2+1000+1999.jsonl')).toEqual(file);
    expect(parseStreamFileName('app_logs+2+9223372036854775806+9223372036854775807.jsonl')?.last).toBe('9223372036854775807');
  });

  it('ignores temporary and foreign files', () => {
    for (const name of ['.app_logs+2+1000+1999.jsonl.tmp', 'part-00000.parquet', 'app_logs+2+1000.jsonl', 'app_logs+x+1+2.jsonl']) expect(parseStreamFileName(name)).toBeUndefined();
  });

  it('lays out hour partitions with two-digit hours and one commit file per topic partition', () => {
    expect(hourPartitionDir('/qpipe', '2024-07-04', 7)).toBe('/qpipe/stream/app_events/event_date=2024-07-04/event_hour=07');
    expect(streamCommitPath('/qpipe', 'app_logs', 0)).toBe('/qpipe/stream/_commits/app_logs+0.json');
  });
});
