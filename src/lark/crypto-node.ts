// Feishu request crypto on node:crypto for the Node service: the same results as the WebCrypto version in crypto.ts,
// computed synchronously on the request's own turn (WebCrypto hops to the thread pool and back for every digest).
import { createDecipheriv, createHash } from 'node:crypto';
import { checkCiphertextLength, decodePlaintext, DecryptError, wrongKey } from './crypto.js';
import { type LarkCrypto } from '../ports.js';

/**
 * The base64 atob() accepts (WHATWG "forgiving-base64": ASCII whitespace ignored, padding optional), checked
 * first because Buffer.from() would silently skip anything else where atob() refuses it.
 */
function forgivingBase64(text: string): string | null {
  let s = text.replace(/[\t\n\f\r ]+/g, '');
  if (s.length % 4 === 0) s = s.replace(/={1,2}$/, '');
  if (s.length % 4 === 1 || !/^[A-Za-z0-9+/]*$/.test(s)) return null;
  return s;
}

// AES key = SHA-256(encrypt key), derived once per key; bounded so a changing key cannot grow the map.
const aesKeys = new Map<string, Buffer>();
function aesKeyFor(encryptKey: string): Buffer {
  let key = aesKeys.get(encryptKey);
  if (!key) {
    key = createHash('sha256').update(encryptKey, 'utf8').digest();
    if (aesKeys.size >= 4) aesKeys.clear();
    aesKeys.set(encryptKey, key);
  }
  return key;
}

export const nodeLarkCrypto: LarkCrypto = {
  signature(timestamp, nonce, encryptKey, rawBody) {
    return createHash('sha256').update(timestamp + nonce + encryptKey, 'utf8').update(rawBody).digest('hex');
  },
  decrypt(encryptKey, encrypted) {
    // Feishu sends canonical padded base64: decoding it and encoding back gives the same text, which proves it valid
    // without a character-by-character check. Anything else goes through the full forgiving-base64 rules.
    let data = Buffer.from(encrypted, 'base64');
    if (data.toString('base64') !== encrypted) {
      const compact = forgivingBase64(encrypted);
      if (compact === null) throw new DecryptError('encrypt is not valid base64');
      data = Buffer.from(compact, 'base64');
    }
    checkCiphertextLength(data);
    let plain: Buffer;
    try {
      const d = createDecipheriv('aes-256-cbc', aesKeyFor(encryptKey), data.subarray(0, 16));
      plain = Buffer.concat([d.update(data.subarray(16)), d.final()]);
    } catch {
      throw wrongKey();
    }
    return decodePlaintext(plain);
  },
};
