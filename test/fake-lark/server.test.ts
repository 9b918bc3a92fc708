import { afterEach, describe, expect, it } from 'vitest';
import * as lark from '@larksuiteoapi/node-sdk';
import { createFetchHttpInstance } from '../../src/lark/messenger.js';
import { startFakeLark, type FakeLark } from './server.js';

let fake: FakeLark | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const clientFor = (url: string, secret = 'fake_secret') =>
  new lark.Client({
    appId: 'cli_fake_app',
    appSecret: secret,
    domain: url,
    cache: new Map() as unknown as lark.Cache,
    httpInstance: createFetchHttpInstance(5000),
    logger: { error() {}, warn() {}, info() {}, debug() {}, trace() {} },
  });

describe('fake Feishu Open API', () => {
  it('resolves emails and mobiles to open_ids through the real SDK', async () => {
    fake = await startFakeLark({ directory: { emails: { 'a@gov.cn': 'ou_a' }, mobiles: { '13800000000': 'ou_m' } } });
    const cache = new Map<unknown, unknown>();
    const client = new lark.Client({
      appId: 'cli_fake_app',
      appSecret: 'fake_secret',
      domain: fake.url,
      cache: { set: async (k: unknown, v: unknown) => (cache.set(k, v), true), get: async (k: unknown) => cache.get(k) } as unknown as lark.Cache,
      httpInstance: createFetchHttpInstance(5000),
    });
    const res = await client.contact.v3.user.batchGetId({
      params: { user_id_type: 'open_id' },
      data: { emails: ['a@gov.cn', 'b@gov.cn'], mobiles: ['13800000000'] },
    });
    expect(res.code).toBe(0);
    expect(res.data?.user_list).toEqual([{ user_id: 'ou_a', email: 'a@gov.cn' }, { email: 'b@gov.cn' }, { user_id: 'ou_m', mobile: '13800000000' }]);
  });

  it('checks the token, the body shape, and de-duplicates on uuid', async () => {
    fake = await startFakeLark();
    const noToken = await fetch(`${fake.url}/open-apis/im/v1/messages?receive_id_type=chat_id`, { method: 'POST', body: '{}' });
    expect(noToken.status).toBe(400);
    expect(((await noToken.json()) as { code: number }).code).toBe(99991663);

    const tokenRes = await fetch(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ app_id: 'cli_fake_app', app_secret: 'fake_secret' }),
    });
    const { tenant_access_token: token, expire } = (await tokenRes.json()) as { tenant_access_token: string; expire: number };
    expect(expire).toBe(7200);
    const post = (body: Record<string, unknown>) =>
      fetch(`${fake!.url}/open-apis/im/v1/messages?receive_id_type=chat_id`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, json: (await r.json()) as { code: number; data: Record<string, any> } }));

    expect((await post({ receive_id: 'oc_1', msg_type: 'text', content: { text: 'not a string' } })).json.code).toBe(230001);
    expect((await post({ receive_id: 'oc_1', msg_type: 'nope', content: '{"text":"x"}' })).json.code).toBe(230001);
    expect((await post({ receive_id: 'oc_1', msg_type: 'text', content: '{"text":"x"}', uuid: 'u'.repeat(51) })).json.code).toBe(230001);
    const first = await post({ receive_id: 'oc_1', msg_type: 'text', content: '{"text":"x"}', uuid: 'u1' });
    const again = await post({ receive_id: 'oc_1', msg_type: 'text', content: '{"text":"x"}', uuid: 'u1' });
    expect(first.json.code).toBe(0);
    expect(first.json.data).toMatchObject({ chat_id: 'oc_1', msg_type: 'text', body: { content: '{"text":"x"}' }, sender: { sender_type: 'app' } });
    expect(first.json.data.message_id).toMatch(/^om_/);
    expect(again.json.data.message_id).toBe(first.json.data.message_id);
    expect(fake.messages).toHaveLength(1);
  });

  it('refuses a wrong app secret the way Feishu does', async () => {
    fake = await startFakeLark();
    await expect(clientFor(fake.url, 'wrong').im.v1.message.create({
      params: { receive_id_type: 'chat_id' },
      data: { receive_id: 'oc', msg_type: 'text', content: '{"text":"x"}' },
    })).rejects.toThrow(/tenant_access_token/);
    expect(fake.messages).toHaveLength(0);
  });
});
