// Baseline server for the intake bench: a bare Hono hello-world POST route on @hono/node-server.
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const app = new Hono();
app.post('*', (c) => c.text('hello'));
const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => console.log(`READY ${info.port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
