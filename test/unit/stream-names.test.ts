import { describe, expect, it } from '@jest/globals';
import {
  filesGlob,
  hourPartitionDir,
  parseHourDirNames,
  parseStreamFileName,
  parseVersionName,
  splitCommitted,
  streamCommitPath,
  streamFileName,
  versionDir,
} from '../../lib/pure/stream';

describe('streaming zone names', () => {
  it('names a data file after its topic, partition and offset range, and reads it back', () => {
    const file = { topic: 'app_logs', partition: 2, first: '1000', last: '1999' };
    expect(streamFileName(file)).toBe('app_logs+2+1000+1999.jsonl.gz');
    expect(parseStreamFileName('app_logs+2+1000+1999.jsonl.gz')).toEqual(file);
    // Files of workers before the compression stay data files.
    expect(parseStreamFileName('app_logs+2+1000+1999.jsonl')).toEqual(file);
    expect(parseStreamFileName('app_logs+2+9223372036854775806+9223372036854775807.jsonl')?.last).toBe('9223372036854775807');
  });

  it('ignores temporary and foreign files', () => {
    for (const name of ['.app_logs+2+1000+1999.jsonl.gz.tmp-1f', 'app_logs+2+1000+1999.jsonl.gzip', 'app_logs+2+1000+1999.json.gz', 'part-00000.parquet', 'app_logs+2+1000.jsonl', 'app_logs+x+1+2.jsonl']) expect(parseStreamFileName(name)).toBeUndefined();
  });

  it('lays out hour partitions with two-digit hours and one commit file per topic partition', () => {
    expect(hourPartitionDir('/qpipe', '2024-07-04', 7)).toBe('/qpipe/stream/app_events/event_date=2024-07-04/event_hour=07');
    expect(streamCommitPath('/qpipe', 'app_logs', 0)).toBe('/qpipe/stream/_commits/app_logs+0.json');
  });
});

describe('stream maintenance names', () => {
  const committed = new Map([
    ['app_logs+0', 2000n],
    ['app_logs+1', 10n],
  ]);

  it('takes the files whose last offset is below their partition\'s commit, and leaves a running or interrupted flush\'s', () => {
    const names = ['app_logs+0+1000+1999.jsonl', 'app_logs+0+2000+2999.jsonl', 'app_logs+1+0+9.jsonl', 'app_logs+1+10+10.jsonl', 'app_logs+2+0+5.jsonl', '.app_logs+0+0+1.jsonl.tmp'];
    expect(splitCommitted(names, committed)).toEqual({
      committed: ['app_logs+0+1000+1999.jsonl', 'app_logs+1+0+9.jsonl'],
      uncommitted: ['app_logs+0+2000+2999.jsonl', 'app_logs+1+10+10.jsonl', 'app_logs+2+0+5.jsonl'],
    });
  });

  it('reads exactly the chosen files: one path, or a Hadoop glob of their names', () => {
    expect(filesGlob('/d', ['app_logs+0+1+2.jsonl'])).toBe('/d/app_logs+0+1+2.jsonl');
    expect(filesGlob('/d', ['app_logs+0+1+2.jsonl', 'app_logs+1+3+4.jsonl'])).toBe('/d/{app_logs+0+1+2.jsonl,app_logs+1+3+4.jsonl}');
    expect(() => filesGlob('/d', [])).toThrow(RangeError);
    expect(() => filesGlob('/d', ['*.jsonl'])).toThrow(RangeError);
  });

  it('numbers versions v1, v2, … and reads hour directory names back', () => {
    expect(versionDir('/qpipe', '2024-07-04', 7, 3)).toBe('/qpipe/stream/app_events_table/event_date=2024-07-04/event_hour=07/v3');
    expect(['v1', 'v12', 'v0', 'v01', 'x3', 'v1.tmp'].map(parseVersionName)).toEqual([1, 12, undefined, undefined, undefined, undefined]);
    expect(parseHourDirNames('event_date=2024-07-04', 'event_hour=07')).toEqual({ eventDate: '2024-07-04', eventHour: 7 });
    expect(parseHourDirNames('event_date=2024-07-04', 'event_hour=24')).toBeUndefined();
    expect(parseHourDirNames('event_date=2024-7-4', 'event_hour=07')).toBeUndefined();
  });
});
