// The pure evidence rules, the Feishu calls against the fake server (both download paths, paging, errors), and the
// operator's evidence export and backup.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  acceptFile, asksForEvidence, attachmentsOf, evidenceName, leadingTaskCode, readVerdict,
} from '../../src/domain/evidence.js';
import { createLarkIm } from '../../src/lark/im-extras.js';
import { evidenceByAssignment, evidenceCell, evidenceSheet } from '../../src/reports/evidence-sheet.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';
import { parseConfig } from '../../src/config.js';
import { openNodeDatabase } from '../../src/db/node.js';
import { evidence } from '../../src/db/schema.js';
import { createFsBlobStore } from '../../src/evidence/blob-fs.js';
import { sha256Hex } from '../../src/evidence/blob-store.js';
import { removeEvidenceForMessage } from '../../src/db/evidence-store.js';
import { evidenceCommand } from '../../src/cli/evidence.js';
import { backupCommand } from '../../src/cli/backup.js';
import { seedFixture } from '../helpers/command-fixture.js';

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 4]);
const MB = 1024 * 1024;

describe('evidence rules', () => {
  it('finds the files of image, file, media and post messages', () => {
    expect(attachmentsOf('image', '{"image_key":"img_1"}')).toEqual([{ fileKey: 'img_1', type: 'image', kind: 'image', name: null }]);
    expect(attachmentsOf('file', '{"file_key":"f_1","file_name":"a.pdf"}')).toEqual([{ fileKey: 'f_1', type: 'file', kind: 'file', name: 'a.pdf' }]);
    expect(attachmentsOf('media', '{"file_key":"m_1","image_key":"cover","file_name":"v.mp4","duration":3}')[0]).toMatchObject({ fileKey: 'm_1', type: 'file', kind: 'media' });
    const post = { title: 't', content: [[{ tag: 'text', text: '4.1.1' }, { tag: 'img', image_key: 'a' }], [{ tag: 'img', image_key: 'b' }, { tag: 'img', image_key: 'a' }]] };
    expect(attachmentsOf('post', JSON.stringify(post)).map((a) => a.fileKey)).toEqual(['a', 'b']);
    expect(attachmentsOf('post', JSON.stringify({ zh_cn: post })).length).toBe(2);
    expect(attachmentsOf('sticker', '{"file_key":"s"}')).toEqual([]);
    expect(attachmentsOf('text', '{"text":"hi"}')).toEqual([]);
    expect(attachmentsOf('image', 'not json')).toEqual([]);
  });

  it('accepts images by their bytes and documents by name; refuses big, empty, executable and unknown files', () => {
    const base = { maxBytes: 20 * MB };
    expect(acceptFile({ ...base, name: 'x.jpg', kind: 'image', bytes: PNG, size: PNG.length })).toEqual({ ok: true, value: 'image/png' });
    expect(acceptFile({ ...base, name: '方案.docx', kind: 'file', bytes: PNG, size: 8 })).toMatchObject({ ok: true });
    expect(acceptFile({ ...base, name: 'a.pdf', kind: 'file', bytes: PNG, size: 25 * MB })).toMatchObject({ ok: false, error: expect.stringContaining('文件过大（25.0 MB），超过 20.0 MB') });
    expect(acceptFile({ ...base, name: 'setup.exe', kind: 'file', bytes: PNG, size: 8 })).toMatchObject({ ok: false, error: expect.stringContaining('可执行文件') });
    expect(acceptFile({ ...base, name: 'report.pdf', kind: 'file', bytes: new Uint8Array([0x7f, 0x45, 0x4c, 0x46]), size: 4 })).toMatchObject({ ok: false, error: expect.stringContaining('可执行文件') });
    expect(acceptFile({ ...base, name: 'page.html', kind: 'file', bytes: PNG, size: 8 })).toMatchObject({ ok: false });
    expect(acceptFile({ ...base, name: 'data.xyz', kind: 'file', bytes: PNG, size: 8 })).toMatchObject({ ok: false, error: expect.stringContaining('不支持的文件类型（.xyz）') });
    expect(acceptFile({ ...base, name: 'x', kind: 'image', bytes: new Uint8Array([1, 2, 3]), size: 3 })).toMatchObject({ ok: false, error: expect.stringContaining('图片格式') });
    expect(acceptFile({ ...base, name: 'a.pdf', kind: 'file', bytes: new Uint8Array(), size: 0 })).toMatchObject({ ok: false, error: '文件是空的。' });
  });

  it('reads a leading task code, names images, spots a request for evidence, and tells read verdicts apart', () => {
    expect(leadingTaskCode('4.1.1 现场照片')).toEqual({ code: '4.1.1', rest: '现场照片' });
    expect(leadingTaskCode('4．1．2：照片')).toEqual({ code: '4.1.2', rest: '照片' });
    expect(leadingTaskCode('照片 4.1.1')).toBeNull();
    expect(leadingTaskCode('4.1.1.2')).toBeNull();
    expect(evidenceName({ fileKey: 'k', type: 'image', kind: 'image', name: null }, 'image/png', 1, '2022-06-16')).toBe('图片-20220616-2.png');
    expect(evidenceName({ fileKey: 'k', type: 'file', kind: 'file', name: 'a/b:c.pdf' }, 'x', 0, '2022-06-16')).toBe('a_b_c.pdf');
    expect(asksForEvidence('请附排查台账和现场照片')).toBe(true);
    expect(asksForEvidence('整改不到位 --要佐证')).toBe(true);
    expect(asksForEvidence('进度说明不清楚')).toBe(false);
    const base = { sentAt: 1000, now: 2000, contacts: ['ou_a'], lastReportAt: null };
    expect(readVerdict({ ...base, readers: [] })).toBe('unread');
    expect(readVerdict({ ...base, readers: ['ou_x'] })).toBe('unread');
    expect(readVerdict({ ...base, readers: ['ou_a'] })).toBe('read_no_report');
    expect(readVerdict({ ...base, readers: ['ou_a'], lastReportAt: 1500 })).toBe('reported');
    expect(readVerdict({ ...base, readers: null, error: 'no_scope' })).toBe('no_scope');
    expect(readVerdict({ ...base, now: 1000 + 8 * 86_400_000, readers: [] })).toBe('too_old');
    expect(readVerdict({ ...base, sentAt: null, readers: null })).toBe('no_card');
  });

  it('gives the 台账 evidence per assignment with links', () => {
    const rows = [
      { id: 1, assignmentId: 7, name: 'a.jpg', size: 2048, createdAt: Date.parse('2022-06-16T02:00:00Z'), by: '张环', taskCode: '4.1.1', taskTitle: '排查', unitName: '安定区' },
      { id: 2, assignmentId: 7, name: 'b.pdf', size: 10, createdAt: Date.parse('2022-06-17T02:00:00Z'), by: null, taskCode: '4.1.1', taskTitle: '排查', unitName: '安定区' },
    ];
    const per = evidenceByAssignment(rows, 'https://d.example');
    expect(evidenceCell(per.get(7))).toBe('2 个：a.jpg https://d.example/evidence/1；b.pdf https://d.example/evidence/2');
    expect(evidenceCell(per.get(8))).toBe('');
    const sheet = evidenceSheet(rows, 'https://d.example');
    expect(sheet.rows[0]).toEqual(['4.1.1', '排查', '安定区', 'a.jpg', 2, '张环', '2022-06-16 10:00', 'https://d.example/evidence/1']);
  });
});

describe('Feishu calls for files, read users and buzz (fake server, real SDK)', () => {
  let fake: FakeLark;
  beforeEach(async () => {
    fake = await startFakeLark();
  });
  afterEach(async () => fake.close());
  const settings = () => ({ LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url });

  for (const download of ['sdk', 'fetch'] as const) {
    it(`downloads a resource (${download}), stops past the limit, and explains errors`, async () => {
      const im = createLarkIm(settings(), { download });
      fake.addResource('om_1', 'img_1', { bytes: PNG, contentType: 'image/png', type: 'image' });
      const ok = await im.fetchResource('om_1', 'img_1', 'image', MB);
      expect(ok).toEqual({ ok: true, value: { bytes: PNG, contentType: 'image/png', size: PNG.length } });
      fake.addResource('om_2', 'f_big', { bytes: new Uint8Array(3 * MB), contentType: 'application/pdf' });
      const big = await im.fetchResource('om_2', 'f_big', 'file', MB);
      expect(big.ok && big.value.size).toBe(3 * MB);
      expect(big.ok && big.value.bytes.length).toBeLessThanOrEqual(MB);
      expect(await im.fetchResource('om_1', 'nope', 'image', MB)).toMatchObject({ ok: false, error: { code: 234003, permanent: true } });
      expect(await im.fetchResource('om_1', 'img_1', 'file', MB)).toMatchObject({ ok: false, error: { code: 234001 } });
      fake.failIm('resource', 234019);
      expect(await im.fetchResource('om_1', 'img_1', 'image', MB)).toMatchObject({ ok: false, error: { code: 234019, permanent: false } });
    });
  }

  it('pages read users, says when the scope is missing, buzzes and reports invalid users', async () => {
    const sent = await fetch(`${fake.url}/open-apis/auth/v3/tenant_access_token/internal`, { method: 'POST', body: JSON.stringify({ app_id: 'cli_fake_app', app_secret: 'fake_secret' }) });
    const token = ((await sent.json()) as { tenant_access_token: string }).tenant_access_token;
    const msg = await fetch(`${fake.url}/open-apis/im/v1/messages?receive_id_type=chat_id`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ receive_id: 'oc_group', msg_type: 'text', content: '{"text":"提醒"}' }),
    });
    const id = ((await msg.json()) as { data: { message_id: string } }).data.message_id;
    const readers = Array.from({ length: 150 }, (_, i) => `ou_r${i}`);
    fake.setReadUsers(id, readers);
    const im = createLarkIm(settings(), { download: 'sdk' });
    expect(await im.readUsers(id)).toEqual({ ok: true, value: readers });
    expect(fake.requests.filter((r) => r.path.endsWith('/read_users'))).toHaveLength(2);
    expect(await im.readUsers('om_not_ours')).toMatchObject({ ok: false, error: { code: 230012 } });
    fake.failIm('read_users', 99991672);
    expect(await im.readUsers(id)).toMatchObject({ ok: false, error: { code: 99991672, reason: expect.stringContaining('权限') } });

    fake.setChatMembers('oc_group', ['ou_a', 'ou_b']);
    expect(await im.urgentApp(id, ['ou_a', 'ou_z'])).toEqual({ ok: true, value: { invalid: ['ou_z'] } });
    expect(fake.urgents).toHaveLength(1);
    expect(await im.urgentApp(id, ['ou_z'])).toMatchObject({ ok: false, error: { code: 230001 } });
    fake.failIm('urgent', 230027);
    expect(await im.urgentApp(id, ['ou_a'])).toMatchObject({ ok: false, error: { code: 230027, permanent: true } });
  });
});

describe('npx duban evidence export and backup', () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-ev-cli-'));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('writes files into folders by task and unit with a manifest; backup copies the store; recall removes a lone blob', async () => {
    const file = path.join(dir, 'd.db');
    const evDir = path.join(dir, 'evidence');
    const database = openNodeDatabase(file);
    const fx = await seedFixture(database.db);
    const store = createFsBlobStore(evDir);
    const sha = await sha256Hex(PNG);
    await store.put(sha, PNG, 'image/png');
    const row = (asg: number, messageId: string, name: string) => ({
      assignmentId: asg, personId: null, senderOpenId: 'ou_env', messageId, fileKey: `k_${messageId}`, kind: 'image', name,
      contentType: 'image/png', size: PNG.length, sha256: sha, status: 'attached', via: 'code', createdAt: Date.parse('2022-06-16T02:00:00Z'),
    });
    await database.db.insert(evidence).values([row(fx.asg.t411env, 'm1', '现场.png'), row(fx.asg.t411env, 'm2', '现场.png'), row(fx.asg.t412anding, 'm3', '台账.png')]);
    const lines: string[] = [];
    const errs: string[] = [];
    const ctx = { config: parseConfig({ DATABASE_PATH: file, EVIDENCE_DIR: evDir }), database: () => database, out: (l: string) => lines.push(l), err: (l: string) => errs.push(l), now: () => Date.now() };
    const out = path.join(dir, '归档');
    expect(await evidenceCommand.run(['export', '--task', '4.1.1', out], ctx)).toBe(0);
    expect(lines.at(-1)).toContain('已导出 2 个佐证文件');
    const folder = path.join(out, '4.1.1 开展工业炉窑排查', '市生态环境局');
    expect(fs.readdirSync(folder).sort()).toEqual(['20220616-现场(2).png', '20220616-现场.png']);
    expect(fs.readFileSync(path.join(out, '清单.csv'), 'utf8')).toContain('4.1.1,开展工业炉窑排查,市生态环境局,现场.png');
    expect(await evidenceCommand.run(['export', '--unit', '安定区', path.join(dir, 'b')], ctx)).toBe(0);
    expect(fs.readdirSync(path.join(dir, 'b', '4.1.2 整治散乱污企业', '安定区'))).toEqual(['20220616-台账.png']);
    expect(await evidenceCommand.run(['export', '--task', '9.9.9', path.join(dir, 'c')], ctx)).toBe(1);
    await expect(evidenceCommand.run(['export'], ctx)).rejects.toThrow('导出目录');

    fs.mkdirSync(path.join(dir, 'bk'));
    expect(await backupCommand.run([path.join(dir, 'bk', 'copy.db')], ctx), errs.join('\n')).toBe(0);
    expect(lines.at(-1)).toContain('佐证材料：2 个文件');
    expect(fs.readFileSync(path.join(dir, 'bk', 'copy.db.evidence', sha.slice(0, 2), sha))).toEqual(Buffer.from(PNG));

    // The blob stays while another message still uses it; it goes with the last.
    await removeEvidenceForMessage(database.db, store, 'm1', Date.now());
    expect(await store.get(sha)).not.toBeNull();
    await removeEvidenceForMessage(database.db, store, 'm2', Date.now());
    await removeEvidenceForMessage(database.db, store, 'm3', Date.now());
    expect(await store.get(sha)).toBeNull();
    database.close();
  });
});
