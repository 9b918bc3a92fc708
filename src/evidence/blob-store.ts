// Where evidence files live, content-addressed by sha256: a port with an R2 implementation (Workers, binding
// EVIDENCE) here and a filesystem one (Node, EVIDENCE_DIR) in blob-fs.ts. Both runtimes hash with WebCrypto.
// The port itself (BlobStore) is defined in src/ports.ts.
import type { BlobStore, StoredBlob } from '../ports.js';

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const d = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', bytes));
  return [...d].map((b) => b.toString(16).padStart(2, '0')).join('');
}

export const isSha256 = (s: string) => /^[0-9a-f]{64}$/.test(s);

/** The subset of an R2 bucket binding used here (@cloudflare/workers-types R2Bucket). */
export interface R2Like {
  put(key: string, value: Uint8Array | ArrayBuffer, options?: { httpMetadata?: { contentType?: string } }): Promise<unknown>;
  get(key: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer>; httpMetadata?: { contentType?: string } } | null>;
  head(key: string): Promise<unknown>;
  delete(key: string): Promise<void>;
}

export function createR2BlobStore(bucket: R2Like): BlobStore {
  const key = (sha: string) => `evidence/${sha.slice(0, 2)}/${sha}`;
  return {
    async put(sha, bytes, contentType) {
      if (!isSha256(sha)) throw new Error('bad sha256');
      if (await bucket.head(key(sha))) return;
      await bucket.put(key(sha), bytes, { httpMetadata: { contentType } });
    },
    async get(sha) {
      if (!isSha256(sha)) return null;
      const o = await bucket.get(key(sha));
      if (!o) return null;
      return { bytes: new Uint8Array(await o.arrayBuffer()), contentType: o.httpMetadata?.contentType ?? 'application/octet-stream' };
    },
    async delete(sha) {
      if (isSha256(sha)) await bucket.delete(key(sha));
    },
  };
}

/** A store in memory (tests, and Node/Workers without a configured store would refuse instead). */
export function createMemoryBlobStore(): BlobStore & { blobs: Map<string, StoredBlob> } {
  const blobs = new Map<string, StoredBlob>();
  return {
    blobs,
    async put(sha, bytes, contentType) {
      if (!blobs.has(sha)) blobs.set(sha, { bytes, contentType });
    },
    async get(sha) {
      return blobs.get(sha) ?? null;
    },
    async delete(sha) {
      blobs.delete(sha);
    },
  };
}
