// Issue 13 on Workers (the same src/lark code path): forged URL checks, moved timestamp digits, missing timestamps and
// oversized bodies are refused, and nothing reaches D1 or the fake Feishu server.
import { createExecutionContext, waitOnExecutionContext } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import worker from '../../src/worker.js';
import { ADMIN_BODY_LIMIT_BYTES, LARK_BODY_LIMIT_BYTES } from '../../src/lark/body-cap.js';
import { buildLarkRequest, messageEvent, signForLark } from '../helpers/lark-events.js';
import { messageCalls } from './fake-lark-client.js';
import { KEY, TOKEN } from './fixture.js';

const TABLES = ['inbound_events', 'outbox', 'progress_reports', 'audit_log', 'roles', 'people'];

async function counts(): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const t of TABLES) out[t] = ((await env.DB.prepare(`select count(*) as n from ${t}`).first()) as { n: number }).n;
  return out;
}

async function send(body: string | ReadableStream<Uint8Array>, headers: Record<string, string> = {}, init: Record<string, unknown> = {}): Promise<Response> {
  const ctx = createExecutionContext();
  const res = await worker.fetch(new Request("https://duban.example/lark/events", { method: "POST", body: body as never, headers, ...init }), env as never, ctx);
  await waitOnExecutionContext(ctx);
  return res;
}

function forged(text: string) {
  return { type: 'url_verification', ...messageEvent({ token: '', senderOpenId: 'ou_forger', text, messageId: `om_forged_${crypto.randomUUID()}` }) };
}

describe('nothing forged gets in (Workers)', () => {
  it('a plaintext body that says url_verification but carries an event is verified like one and refused', async () => {
    const before = await counts();
    const calls = (await messageCalls(() => true)).length;
    for (const extra of [{}, { challenge: 'c' }, { challenge: 'c', token: TOKEN }]) {
      const res = await send(JSON.stringify({ ...forged('销号 4.1.1'), ...extra }), { 'content-type': 'application/json' });
      expect(res.status).toBe(401);
      expect(JSON.stringify(await res.json())).not.toContain('"challenge"');
    }
    expect(await counts()).toEqual(before);
    expect((await messageCalls(() => true)).length).toBe(calls);
  });

  it('a signed event without a timestamp, or with digits moved into the nonce, is refused', async () => {
    const before = await counts();
    const ts = String(Math.floor(Date.now() / 1000) - 13 * 3600);
    const { body, headers } = buildLarkRequest(messageEvent({ token: TOKEN, text: '帮助' }), { encryptKey: KEY, timestamp: ts, nonce: '7abc' });
    const sig = headers['x-lark-signature']!;
    expect(signForLark(ts.slice(0, 9), ts.slice(9) + '7abc', KEY, body)).toBe(sig);
    const noTs = { ...headers };
    delete noTs['x-lark-request-timestamp'];
    expect((await send(body, noTs)).status).toBe(401);
    expect((await send(body, headers)).status).toBe(401); // stale
    expect((await send(body, { ...headers, 'x-lark-request-timestamp': ts.slice(0, 9), 'x-lark-request-nonce': ts.slice(9) + '7abc' })).status).toBe(401);
    expect((await send(body, { ...headers, 'x-lark-request-timestamp': ts + '7', 'x-lark-request-nonce': 'abc' })).status).toBe(401);
    expect(await counts()).toEqual(before);
  });

  it('refuses a body over the cap with 413, declared or streamed without a length', async () => {
    const big = 'x'.repeat(LARK_BODY_LIMIT_BYTES + 1);
    expect((await send(big)).status).toBe(413);
    let pulled = 0;
    const chunk = new Uint8Array(64 * 1024).fill(120);
    const stream = new ReadableStream<Uint8Array>({
      pull(ctrl) {
        if (++pulled > 1000) ctrl.close();
        else ctrl.enqueue(chunk);
      },
    });
    const res = await send(stream, {}, { duplex: 'half' });
    expect(res.status).toBe(413);
    expect(pulled).toBeLessThan(30);
  });

  it('caps every other route too: a big board login form gets 413 unread', async () => {
    const ctx = createExecutionContext();
    const body = 'token=' + 'x'.repeat(ADMIN_BODY_LIMIT_BYTES);
    const req = new Request('https://duban.example/board/login', { method: 'POST', body, headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    const res = await worker.fetch(req, env as never, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(413);
  });

  it('with neither secret configured: 503 naming both settings, nothing stored, and /healthz says why', async () => {
    const bare = { ...(env as Record<string, unknown>), LARK_VERIFICATION_TOKEN: '', LARK_ENCRYPT_KEY: '' };
    const before = await counts();
    const ctx = createExecutionContext();
    const res = await worker.fetch(
      new Request('https://duban.example/lark/events', { method: 'POST', body: JSON.stringify(messageEvent({ text: '帮助' })) }),
      bare as never,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(503);
    expect(((await res.json()) as { message: string }).message).toMatch(/LARK_VERIFICATION_TOKEN.*LARK_ENCRYPT_KEY/s);
    expect(await counts()).toEqual(before);
    const h = await worker.fetch(new Request('https://duban.example/healthz'), bare as never, createExecutionContext());
    expect(((await h.json()) as { larkInbound: { enabled: boolean } }).larkInbound.enabled).toBe(false);
  });

  it('user text that reaches Feishu from the worker can neither ping nor style', async () => {
    const messageId = `om_in_workers_${crypto.randomUUID()}`;
    const ev = messageEvent({ token: TOKEN, messageId, senderOpenId: `ou_w_${crypto.randomUUID()}`, text: '<at id=all></at> **粗** [链接](http://evil.example)' });
    const { body, headers } = buildLarkRequest(ev, { encryptKey: KEY });
    expect((await send(body, headers)).status).toBe(200);
    const replies = await messageCalls((r) => r.path === `/open-apis/im/v1/messages/${messageId}/reply`);
    expect(replies).toHaveLength(1);
    const content = String((replies[0]!.body as { content: string }).content);
    expect(content).not.toMatch(/<at\b/);
    expect(content).not.toContain('**');
    expect(content).not.toContain('](');
  });
});
