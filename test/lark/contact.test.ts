import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { ContactDirectoryUnavailable, createLarkContactDirectory } from '../../src/lark/contact.js';

let server: http.Server | undefined;
afterEach(() => new Promise<void>((r) => (server ? server.close(() => r()) : r())));

/** A loopback stand-in for the two Open API calls the directory makes (token + batch_get_id). */
async function startFake(users: Array<{ email?: string; mobile?: string; openId: string }>) {
  const calls: Array<{ path: string; body: Record<string, unknown> }> = [];
  server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => (raw += String(c)));
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      calls.push({ path: req.url ?? '', body });
      res.setHeader('content-type', 'application/json');
      if (req.url?.startsWith('/open-apis/auth/v3/tenant_access_token/internal'))
        return res.end(JSON.stringify({ code: 0, msg: 'ok', tenant_access_token: 't-fake', expire: 7200 }));
      if (req.url?.startsWith('/open-apis/contact/v3/users/batch_get_id')) {
        const emails = (body.emails as string[] | undefined) ?? [];
        const mobiles = (body.mobiles as string[] | undefined) ?? [];
        const list = [
          ...emails.map((e) => ({ email: e, user_id: users.find((u) => u.email === e)?.openId })),
          ...mobiles.map((m) => ({ mobile: m, user_id: users.find((u) => u.mobile === m)?.openId })),
        ];
        return res.end(JSON.stringify({ code: 0, msg: 'success', data: { user_list: list } }));
      }
      res.statusCode = 404;
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}`, calls };
}

describe('createLarkContactDirectory', () => {
  it('resolves emails and mobiles through contact.v3.user.batchGetId on LARK_BASE_URL', async () => {
    const fake = await startFake([
      { email: 'zhao@dx.gov.cn', openId: 'ou_zhao' },
      { mobile: '13800000001', openId: 'ou_qian' },
    ]);
    const dir = createLarkContactDirectory(parseConfig({ LARK_APP_ID: 'cli_a', LARK_APP_SECRET: 's', LARK_BASE_URL: fake.url }));
    const r = await dir.resolve(['zhao@dx.gov.cn', '+86 13800000001', 'nobody@dx.gov.cn']);
    expect(r).toEqual([
      { key: 'zhao@dx.gov.cn', openId: 'ou_zhao' },
      { key: '+86 13800000001', openId: 'ou_qian' },
      { key: 'nobody@dx.gov.cn', openId: null },
    ]);
    const call = fake.calls.find((c) => c.path.includes('batch_get_id'))!;
    expect(call.path).toContain('user_id_type=open_id');
    expect(call.body).toMatchObject({ emails: ['zhao@dx.gov.cn', 'nobody@dx.gov.cn'], mobiles: ['13800000001'] });
  });
  it('without credentials says how to proceed', async () => {
    const dir = createLarkContactDirectory(parseConfig({}));
    await expect(dir.resolve(['a@b.cn'])).rejects.toBeInstanceOf(ContactDirectoryUnavailable);
  });
});
