import { describe, expect, it } from 'vitest';
import { computeLarkSignature, decryptLarkPayload, DecryptError, timingSafeEqualString, webLarkCrypto } from '../../src/lark/crypto.js';
import { nodeLarkCrypto } from '../../src/lark/crypto-node.js';
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

// The Node service verifies with node:crypto; it must agree with WebCrypto on every input, good or bad.
describe.each([
  ['WebCrypto', webLarkCrypto],
  ['node:crypto', nodeLarkCrypto],
])('LarkCrypto on %s', (_name, impl) => {
  it('decrypts the official vector and computes the LARK.md signature vector', async () => {
    expect(await impl.decrypt('test key', 'P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk=')).toBe('hello world');
    const body = '{"encrypt":"P37w+VZImNgPEO1RBhJ6RtKl7n6zymIbEG1pReEzghk="}';
    expect(await impl.signature('1700000000', 'abc123', 'test key', enc.encode(body))).toBe(
      '69c61fa99760d59824d588297c0036194769fb54331682c9cbcd93e85b9a8aad',
    );
  });

  it('accepts what atob accepts (whitespace, missing padding) and refuses what it refuses', async () => {
    const text = JSON.stringify({ 中文: '进度 4.1.1 60%', n: 'x'.repeat(37) });
    const c = encryptForLark('k1', text);
    expect(await impl.decrypt('k1', c.replace(/=+$/, ''))).toBe(text);
    expect(await impl.decrypt('k1', `${c.slice(0, 20)}\n ${c.slice(20)}`)).toBe(text);
    for (const bad of ['%%%not base64', `${c}=`, `${c.slice(0, -2)}=A`, c.slice(0, 30), `${c}A`, '']) {
      await expect(Promise.resolve().then(() => impl.decrypt('k1', bad)), bad).rejects.toBeInstanceOf(DecryptError);
    }
    await expect(Promise.resolve().then(() => impl.decrypt('k2', c))).rejects.toBeInstanceOf(DecryptError);
  });

  it('refuses a payload that decrypts to bytes that are not UTF-8', async () => {
    const c = encryptForLark('k1', Buffer.from([0xff, 0xfe, 0xfd]));
    await expect(Promise.resolve().then(() => impl.decrypt('k1', c))).rejects.toThrow(/UTF-8/);
  });
});
