// Evidence files on Node: EVIDENCE_DIR/<aa>/<sha256> (content-addressed), written to a temporary name and renamed,
// so a crash never leaves half a file under a real name. The content type is kept beside it (<sha256>.type).
import fs from 'node:fs/promises';
import path from 'node:path';
import { isSha256 } from './blob-store.js';
import { type BlobStore } from '../ports.js';

export function createFsBlobStore(dir: string): BlobStore {
  const file = (sha: string) => path.join(dir, sha.slice(0, 2), sha);
  return {
    async put(sha, bytes, contentType) {
      if (!isSha256(sha)) throw new Error('bad sha256');
      const f = file(sha);
      try {
        await fs.access(f);
        return;
      } catch {
        /* not there yet */
      }
      await fs.mkdir(path.dirname(f), { recursive: true });
      const tmp = `${f}.${process.pid}.${Date.now()}.tmp`;
      await fs.writeFile(tmp, bytes);
      await fs.writeFile(`${f}.type`, contentType);
      await fs.rename(tmp, f);
    },
    async get(sha) {
      if (!isSha256(sha)) return null;
      try {
        const bytes = await fs.readFile(file(sha));
        const contentType = await fs.readFile(`${file(sha)}.type`, 'utf8').catch(() => 'application/octet-stream');
        return { bytes: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), contentType };
      } catch {
        return null;
      }
    },
    async delete(sha) {
      if (!isSha256(sha)) return;
      await fs.rm(file(sha), { force: true });
      await fs.rm(`${file(sha)}.type`, { force: true });
    },
  };
}
