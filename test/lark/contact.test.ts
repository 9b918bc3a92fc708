import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLarkContactDirectory } from '../../src/lark/contact.js';
import { ContactDirectoryUnavailable } from '../../src/ports.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';

let fake: FakeLark | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

describe('createLarkContactDirectory', () => {
  it('resolves emails and mobiles through contact.v3.user.batchGetId on LARK_BASE_URL', async () => {
    fake = await startFakeLark({ directory: { emails: { 'zhao@dx.gov.cn': 'ou_zhao' }, mobiles: { '13800000001': 'ou_qian' } } });
    const dir = createLarkContactDirectory(parseConfig({ LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url }));
    const r = await dir.resolve(['zhao@dx.gov.cn', '+86 13800000001', 'nobody@dx.gov.cn']);
    expect(r).toEqual([
      { key: 'zhao@dx.gov.cn', openId: 'ou_zhao' },
      { key: '+86 13800000001', openId: 'ou_qian' },
      { key: 'nobody@dx.gov.cn', openId: null },
    ]);
    const call = fake.requests.find((c) => c.path.includes('batch_get_id'))!;
    expect(call.query.user_id_type).toBe('open_id');
    expect(call.body).toMatchObject({ emails: ['zhao@dx.gov.cn', 'nobody@dx.gov.cn'], mobiles: ['13800000001'] });
  });
  it('without credentials says how to proceed', async () => {
    const dir = createLarkContactDirectory(parseConfig({}));
    await expect(dir.resolve(['a@b.cn'])).rejects.toBeInstanceOf(ContactDirectoryUnavailable);
  });
});
