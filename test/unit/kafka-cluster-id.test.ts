import { describe, expect, it } from '@jest/globals';
import { kafkaClusterId } from '../../stack/services';

describe('kafkaClusterId', () => {
  it('is 16 bytes in base64url and never starts with a dash', () => {
    const ids = Array.from({ length: 5000 }, () => kafkaClusterId());
    for (const id of ids) {
      expect(id).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
      expect(Buffer.from(id, 'base64url')).toHaveLength(16);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });
});
