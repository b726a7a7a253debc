import { describe, expect, it } from '@jest/globals';
import { brokerMessageMaxBytes, deadLetterSends, messageBytes, type DeadLetterInput } from '../../lib/pure/dead-letters';

const letter = (offset: number, value: Buffer | null, key: Buffer | null = null, detail = 'not json'): DeadLetterInput => ({ reason: 'NOT_JSON', detail, offset: String(offset), value, key });
/** The bytes a record batch of these messages holds, counted here: key, value, header names and values. */
const payload = (messages: { key: Buffer | null; value: Buffer | null; headers: Record<string, string> }[]) =>
  messages.reduce((sum, { key, value, headers }) => sum + (key?.length ?? 0) + (value?.length ?? 0) + Object.entries(headers).reduce((h, [name, text]) => h + Buffer.byteLength(name) + Buffer.byteLength(text), 0), 0);

describe('dead letters in sends under the broker limit', () => {
  it('splits 12,000 letters of 100 bytes into sends of less than 1 MiB, every letter once, in order', () => {
    const letters = Array.from({ length: 12_000 }, (_, n) => letter(n, Buffer.alloc(100, 'x')));
    const sends = deadLetterSends(letters, 'app_logs', 2);
    expect(sends.length).toBeGreaterThan(2);
    for (const send of sends) expect(payload(send) + send.length * 64).toBeLessThan(brokerMessageMaxBytes);
    expect(sends.flat().map((message) => message.headers['qpipe.source.offset'])).toEqual(letters.map(({ offset }) => offset));
    expect(sends.flat()[0]!.headers).toEqual({ 'qpipe.reason': 'NOT_JSON', 'qpipe.detail': 'not json', 'qpipe.source.topic': 'app_logs', 'qpipe.source.partition': '2', 'qpipe.source.offset': '0' });
  });

  it('keeps the source record\'s Kafka timestamp in a header, cut or whole (the letter\'s own time is when it was written)', () => {
    const sends = deadLetterSends([{ ...letter(1, Buffer.from('x')), timestamp: '1764000000000' }, { ...letter(2, Buffer.alloc(1_048_400, 'y')), timestamp: '1764000000001' }, letter(3, null)], 'app_logs', 0);
    expect(sends.flat().map((message) => message.headers['qpipe.source.timestamp'])).toEqual(['1764000000000', '1764000000001', undefined]);
    expect(sends.flat().every((message) => !('timestamp' in message))).toBe(true);
  });

  it('cuts a letter too big alone, value and key, keeping their original sizes and the source offset in headers', () => {
    const big = letter(7, Buffer.alloc(1_048_400, 'y'), Buffer.alloc(10, 'k'), 'x'.repeat(5_000));
    const sends = deadLetterSends([letter(6, Buffer.from('small')), big], 'app_logs', 0);
    expect(sends.map((send) => send.length)).toEqual([1, 1]);
    const message = sends[1]![0]!;
    expect(message.headers).toMatchObject({ 'qpipe.source.offset': '7', 'qpipe.original.value.bytes': '1048400', 'qpipe.original.key.bytes': '10' });
    expect(message.headers['qpipe.detail']).toHaveLength(1_001);
    expect(message.key).toEqual(Buffer.alloc(10, 'k'));
    expect(message.value!.length).toBeGreaterThan(1_000_000);
    expect(message.value!.equals(Buffer.alloc(message.value!.length, 'y'))).toBe(true);
    expect(payload([message]) + 64).toBeLessThan(brokerMessageMaxBytes);
    expect(messageBytes(message)).toBeLessThanOrEqual(brokerMessageMaxBytes - 4 * 1024);
    // a letter that fits is left whole
    const whole = deadLetterSends([letter(1, Buffer.alloc(500_000, 'z'), Buffer.from('key'))], 'app_logs', 0)[0]![0]!;
    expect([whole.value!.length, whole.key!.toString(), whole.headers['qpipe.original.value.bytes']]).toEqual([500_000, 'key', undefined]);
  });

  it('cuts an oversized key too, and a letter with no value stays valueless', () => {
    const message = deadLetterSends([letter(3, null, Buffer.alloc(1_100_000, 'k'))], 'app_logs', 0)[0]![0]!;
    expect(message.value).toBeNull();
    expect(message.headers).toMatchObject({ 'qpipe.original.value.bytes': '0', 'qpipe.original.key.bytes': '1100000' });
    expect(messageBytes(message)).toBeLessThanOrEqual(brokerMessageMaxBytes - 4 * 1024);
  });
});
