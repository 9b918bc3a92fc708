// Node side of the workerd suite: starts a loopback HTTP server the worker under test talks to, and hands its
// URL to the pool (vitest `provide`, read in vitest.workers.config.ts).
import http from 'node:http';
import type { TestProject } from 'vitest/node';

export default async function setup(project: TestProject) {
  const server = http.createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ code: 0, msg: 'ok', data: { path: req.url } }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('fake server has no port');
  project.provide('fakeLarkUrl', `http://127.0.0.1:${address.port}`);
  return async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
}
