// Node side of the workerd suite. The fake Feishu Open API (test/fake-lark/server.ts) is a Node http server, so
// it runs here on 127.0.0.1; the worker under test reaches it as LARK_BASE_URL (workerd may fetch loopback
// addresses). Tests inside workerd cannot read the fake's memory, so a second loopback server exposes what the
// fake recorded: GET /requests, GET /messages.
import http from 'node:http';
import type { TestProject } from 'vitest/node';
import { startFakeLark } from '../fake-lark/server.js';

export const FAKE_APP_ID = 'cli_workers_test';
export const FAKE_APP_SECRET = 'workers_test_secret';

export default async function setup(project: TestProject) {
  const fake = await startFakeLark({ appId: FAKE_APP_ID, appSecret: FAKE_APP_SECRET });
  const control = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    // POST /resources {messageId, fileKey, base64, contentType, type}: a file in a user's message (evidence tests).
    if (req.method === 'POST' && url.pathname === '/resources') {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const b = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { messageId: string; fileKey: string; base64: string; contentType: string; type: 'image' | 'file' };
        fake.addResource(b.messageId, b.fileKey, { bytes: new Uint8Array(Buffer.from(b.base64, 'base64')), contentType: b.contentType, type: b.type });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      });
      return;
    }
    const body =
      url.pathname === '/requests'
        ? fake.requests.map(({ method, path, query, body, status, code }) => ({ method, path, query, body, status, code }))
        : url.pathname === '/messages'
          ? fake.messages
          : null;
    res.writeHead(body ? 200 : 404, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body ?? { error: 'not found' }));
  });
  await new Promise<void>((resolve) => control.listen(0, '127.0.0.1', () => resolve()));
  const address = control.address();
  if (!address || typeof address === 'string') throw new Error('control server has no port');
  project.provide('fakeLarkUrl', fake.url);
  project.provide('fakeLarkControl', `http://127.0.0.1:${address.port}`);
  return async () => {
    await new Promise<void>((resolve) => control.close(() => resolve()));
    await fake.close();
  };
}
