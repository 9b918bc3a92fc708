// Issue 13: text from users or imported tables (notes, reasons, task text, names, unit names) shows as text in every
// card and text message: no @all, no mention, no <font>, no hidden link, no markdown style.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inertTextMessage, decodeMdEntities, mdText } from '../../src/domain/text-escape.js';
import { renderProgressRequestCard, renderReminderCard } from '../../src/cards/reminder-card.js';
import { renderCardText } from '../../src/lark/card-text.js';
import { openNodeDatabase } from '../../src/db/node.js';
import { units } from '../../src/db/schema.js';
import { eq } from 'drizzle-orm';
import { startNodeService, type NodeService } from '../../src/node.js';
import { startFakeLark, type FakeLark } from '../fake-lark/server.js';
import { ENV, OFFICE, seedFixture } from '../helpers/command-fixture.js';
import { messageEvent, postLarkEvent } from '../helpers/lark-events.js';

const HOSTILE = [
  '<at id=all></at>',
  '<at user_id="all">所有人</at>',
  '<at user_id="ou_boss">领导</at>',
  '<font color=red>红字</font>',
  '[点我](http://evil.example)',
  '**粗体**',
  '~~删除~~',
  '`代码`',
  '# 标题',
  '<i>斜</i><u>下</u>',
];
const EVIL = HOSTILE.join(' ');

/** Markup that must never appear in any markdown a card carries (the card's own bold labels aside). */
function assertInertMarkdown(content: string) {
  expect(content).not.toMatch(/<at\b/i);
  expect(content).not.toMatch(/<font color=red/i);
  expect(content).not.toMatch(/<[iu]>/);
  expect(content).not.toContain('](');
  expect(content).not.toContain('**粗体**');
  expect(content).not.toContain('~~删除~~');
  expect(content).not.toContain('`代码`');
  expect(content).not.toMatch(/^# /m);
}

function markdownOf(card: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Record<string, unknown>;
      if ((o.tag === 'markdown' || o.tag === 'lark_md') && typeof o.content === 'string') out.push(o.content);
      Object.values(o).forEach(walk);
    }
  };
  walk(card);
  return out;
}

describe('mdText / inertTextMessage', () => {
  it('escapes every markup and decodes back to the same characters', () => {
    for (const h of [...HOSTILE, EVIL, '- 列表\n1. 编号\n+ 加号', 'PM2.5 < 35 & 2022-06-30 (牵头)']) {
      const e = mdText(h);
      assertInertMarkdown(e);
      expect(e).not.toMatch(/^[-+] /m);
      expect(e).not.toMatch(/^\d+\. /m);
      expect(decodeMdEntities(e)).toBe(h);
    }
    expect(mdText('PM2.5 2022-06-30 (牵头)')).toBe('PM2.5 2022-06-30 (牵头)');
  });

  it('a text message with user text in it can neither ping nor style, and still reads the same', () => {
    const t = inertTextMessage(`已记录说明：${EVIL}`);
    expect(t).not.toMatch(/<at\b/i);
    expect(t).not.toMatch(/<\/?[a-z]/i);
    expect(t).not.toContain('**');
    expect(t).not.toContain('~~');
    expect(t).not.toContain('](');
    expect(t.replace(/\u200b/g, '')).toBe(`已记录说明：${EVIL}`);
  });
});

describe('card builders show hostile text as text', () => {
  it('reminder card and progress request card', () => {
    const card = renderReminderCard({
      assignmentId: 1, taskCode: '4.1.1', taskTitle: EVIL, unitName: EVIL, step: 'before', urgency: 'soon', dueLabel: EVIL,
      dueDate: '2022-06-30', daysLeft: 5, offset: 3, percent: 10, lastReportAt: null, now: Date.parse('2022-06-20T01:00:00Z'),
    });
    for (const m of markdownOf(card)) assertInertMarkdown(m);
    expect(renderCardText(card)).toContain('<at id=all></at>');
    const req = renderProgressRequestCard({
      unitName: EVIL, period: '2022-06', now: Date.parse('2022-06-20T01:00:00Z'),
      items: [{ assignmentId: 1, taskCode: '5.1.1', taskTitle: EVIL, percent: 0, lastReportAt: null }],
    });
    for (const m of markdownOf(req)) assertInertMarkdown(m);
  });
});

describe('through the real HTTP stack', () => {
  let svc: NodeService | undefined;
  let fake: FakeLark | undefined;
  afterEach(async () => {
    await svc?.close();
    await fake?.close();
    svc = undefined;
    fake = undefined;
  });

  it('a hostile note and unit name reach Feishu as text in the reply, the task card and the office views', async () => {
    fake = await startFakeLark();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-inject-'));
    const file = path.join(dir, 'd.db');
    const seed = openNodeDatabase(file);
    const fx = await seedFixture(seed.db);
    // An imported unit name carrying markup.
    await seed.db.update(units).set({ name: `安定区<at id=all></at>[链接](http://evil.example)` }).where(eq(units.id, fx.unit.anding));
    seed.close();
    svc = await startNodeService({
      DATABASE_PATH: file, PORT: '0', HOST: '127.0.0.1', PLAN_AUTOLOAD: 'false', LOG_LEVEL: 'silent',
      LARK_APP_ID: 'cli_fake_app', LARK_APP_SECRET: 'fake_secret', LARK_BASE_URL: fake.url, LARK_VERIFICATION_TOKEN: 'tok', OFFICE_OPEN_IDS: OFFICE,
    });
    const base = `http://127.0.0.1:${svc.port}`;
    const say = async (openId: string, text: string) => {
      const before = fake!.messages.length;
      expect((await postLarkEvent(base, '/lark/events', messageEvent({ token: 'tok', senderOpenId: openId, text }))).status).toBe(200);
      for (let i = 0; i < 250 && fake!.messages.length === before; i++) await new Promise((r) => setTimeout(r, 20));
      return fake!.messages.slice(before);
    };
    await say(ENV, `进度 4.1.1 60% ${EVIL}`);
    await say(ENV, `任务 4.1.1`);
    await say(OFFICE, `任务 4.1.1`);
    await say(ENV, `${EVIL}`);
    await say(ENV, `延期 4.1.1 ${new Date().getUTCFullYear() + 1}-06-30 ${EVIL}`);
    await say(OFFICE, `待办`);
    await say(OFFICE, `周报`);
    const isDigest = (m: { msg_type: string; content: string }) => m.msg_type === 'interactive' && m.content.includes('待审批延期');
    for (let i = 0; i < 750 && !fake.messages.some(isDigest); i++) await new Promise((r) => setTimeout(r, 20));
    const sent = fake.messages;
    const digest = sent.find(isDigest);
    expect(digest, 'the digest card lists the pending extension with its reason').toBeDefined();
    expect(markdownOf(JSON.parse(digest!.content)).map(decodeMdEntities).join('\n')).toContain('<at id=all>');
    expect(sent.length).toBeGreaterThanOrEqual(4);
    let cards = 0;
    for (const m of sent) {
      const content = JSON.parse(m.content) as Record<string, unknown>;
      if (m.msg_type === 'interactive') {
        cards++;
        const mds = markdownOf(content);
        for (const x of mds) assertInertMarkdown(x);
        // The note is there, as text.
        expect(mds.map(decodeMdEntities).join('\n')).toContain('<at id=all></at>');
      } else {
        const t = String(content.text ?? '');
        expect(t).not.toMatch(/<at\b/i);
        expect(t).not.toMatch(/<font\b/i);
        expect(t).not.toContain('](');
        expect(t).not.toContain('**粗体**');
      }
    }
    expect(cards).toBeGreaterThan(0);
  });
});
