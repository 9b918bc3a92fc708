import { describe, expect, it } from 'vitest';
import { computeLarkSignature, decryptLarkPayload, DecryptError, timingSafeEqualString } from '../../src/lark/crypto.js';
import { encryptForLark, signForLark } from '../helpers/lark-events.js';

const enc = new TextEncoder();

describe('lark crypto', () => {
  it('decrypts the official vector', async () => {
    expect(await decryptLarkPayload('test key', 'P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=')).toBe('hello world');
  });

  it('computes the signature vector from LARK.md over the raw body', async () => {
    const body = '{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}';
    const sig = await computeLarkSignature('1700000000', 'abc123', 'test key', enc.encode(body));
    expect(sig).toBe('69c61fa99760d59824d588297c0036194769fb54331682c9cbcd93e85b9a8aad');
    expect(signForLark('1700000000', 'abc123', 'test key', body)).toBe(sig);
  });

  it('round-trips with the test helper (node:crypto) and rejects truncated or wrong-key ciphertext', async () => {
    const text = JSON.stringify({ 中文: '进度 4.1.1 60%' });
    const c = encryptForLark('k1', text);
    expect(await decryptLarkPayload('k1', c)).toBe(text);
    await expect(decryptLarkPayload('k1', c.slice(0, 30))).rejects.toBeInstanceOf(DecryptError);
    await expect(decryptLarkPayload('k2', c)).rejects.toBeInstanceOf(DecryptError);
    await expect(decryptLarkPayload('k1', '%%%not base64')).rejects.toBeInstanceOf(DecryptError);
  });

  it('compares strings exactly', () => {
    expect(timingSafeEqualString('abc', 'abc')).toBe(true);
    expect(timingSafeEqualString('abc', 'abd')).toBe(false);
    expect(timingSafeEqualString('abc', 'abcd')).toBe(false);
    expect(timingSafeEqualString('', '')).toBe(true);
  });
});
