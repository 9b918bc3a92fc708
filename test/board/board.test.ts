// The board over HTTP (the real app, a cookie jar): the `看板` link flow, refusals of tampered / expired / used /
// someone else's links, role scope on every page and data route, filters, ?at=, and counts equal to `统计`'s.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { digests, metricReports, plans, progressReports, targets, tasks } from '../../src/db/schema.js';
import { summarizeStats, computeStats } from '../../src/domain/stats.js';
import { loadStatsInput } from '../../src/db/stats-store.js';
import { ANDING, BASE, Browser, createBoardWorld, LEADER, OFFICE, STRANGER, WATER, type BoardWorld } from './board-fixture.js';
import { SESSION_COOKIE } from '../../src/board/session.js';

let w: BoardWorld;
beforeEach(async () => {
  w = await createBoardWorld();
});
afterEach(() => w.close());

async function signedIn(openId: string): Promise<Browser> {
  const b = new Browser(w.app);
  const { posted } = await b.open(await w.linkFor(openId));
  expect(posted?.status).toBe(303);
  return b;
}

describe('看板: the link', () => {
  it('replies with a personal link: the raw https link and the in-Feishu applink', async () => {
    const text = await w.say(OFFICE);
    expect(text).toContain('10 分钟内有效');
    expect(text).toMatch(/浏览器打开：https:\/\/duban\.test\/board\/login\?t=[\w.%-]+/);
    const applink = /飞书内打开：(\S+)/.exec(text)![1]!;
    expect(applink.startsWith('https://applink.feishu.cn/client/web_url/open?')).toBe(true);
    expect(new URL(applink).searchParams.get('url')).toBe(/浏览器打开：(\S+)/.exec(text)![1]);
    expect(await w.say(OFFICE, 'board')).toContain('/board/login?t=');
  });
  it('is not sent in a group chat, needs PUBLIC_BASE_URL, and strangers get no link', async () => {
    expect(await w.say(OFFICE, '看板', 'group')).toContain('不在群里发送');
    expect(await w.say(STRANGER)).not.toContain('/board/login');
    expect(await w.say(OFFICE, '看板 全部')).toContain('看板不带参数');
    const bare = await createBoardWorld({ env: { PUBLIC_BASE_URL: '' } });
    expect(await bare.say(OFFICE)).toContain('PUBLIC_BASE_URL');
    bare.close();
  });
});

describe('the link flow', () => {
  it('opens the landing page, then a POST starts an HttpOnly session and lands on the board', async () => {
    const b = new Browser(w.app);
    const link = await w.linkFor(LEADER);
    const { landing, posted } = await b.open(link);
    expect(landing.status).toBe(200);
    expect(await landing.text()).toContain('action="/board/login"');
    expect(posted!.status).toBe(303);
    expect(posted!.headers.get('location')).toBe('/board');
    const sc = posted!.headers.get('set-cookie')!;
    expect(sc).toContain(`${SESSION_COOKIE}=`);
    expect(sc).toMatch(/HttpOnly/i);
    expect(sc).toMatch(/SameSite=Lax/i);
    expect(sc).toMatch(/Secure/i); // https
    const board = await b.fetch('/board');
    expect(board.status).toBe(200);
    const html = await board.text();
    expect(html).toContain('王领导');
    expect(html).toContain('县区和部门 × 篇章');
  });

  it('a link works once', async () => {
    const link = await w.linkFor(OFFICE);
    expect((await new Browser(w.app).open(link)).posted!.status).toBe(303);
    const again = await new Browser(w.app).open(link);
    expect(again.landing.status).toBe(403);
    expect(await again.landing.text()).toContain('已经使用过');
    // Replaying the POST directly is refused too.
    const t = new URL(link).searchParams.get('t')!;
    const replay = await new Browser(w.app).fetch('/board/login', { method: 'POST', body: new URLSearchParams({ t }) });
    expect(replay.status).toBe(403);
    expect(replay.headers.get('set-cookie')).toBeNull();
  });

  it('a link posted from another site is refused (login CSRF)', async () => {
    const link = await w.linkFor(OFFICE);
    const t = new URL(link).searchParams.get('t')!;
    const b = new Browser(w.app);
    const r = await b.fetch('/board/login', { method: 'POST', body: new URLSearchParams({ t }), headers: { origin: 'https://evil.example' } });
    expect(r.status).toBe(403);
    expect(b.cookies.size).toBe(0);
    // The same POST from the board's own origin works, and the link was not used up by the refused one.
    const ok = await b.fetch('/board/login', { method: 'POST', body: new URLSearchParams({ t }), headers: { origin: BASE } });
    expect(ok.status).toBe(303);
  });

  it('an expired link is refused', async () => {
    const link = await w.linkFor(OFFICE);
    w.deps.setNow(w.deps.clock() + 11 * 60_000);
    const { landing } = await new Browser(w.app).open(link);
    expect(landing.status).toBe(403);
    expect(await landing.text()).toContain('链接已过期');
  });

  it('a tampered link is refused: another person id, a changed signature, garbage', async () => {
    const link = await w.linkFor(ANDING);
    const t = new URL(link).searchParams.get('t')!;
    const [body, mac] = t.split('.');
    const payload = JSON.parse(Buffer.from(body!, 'base64url').toString());
    const officeId = await w.personId(OFFICE);
    const forged = Buffer.from(JSON.stringify({ ...payload, p: officeId })).toString('base64url');
    for (const bad of [`${forged}.${mac}`, `${body}.${mac!.slice(0, -2)}xx`, 'garbage', `${body}.`]) {
      const b = new Browser(w.app);
      const r = await b.fetch(`/board/login?t=${encodeURIComponent(bad)}`);
      expect(r.status, bad).toBe(403);
      const p = await b.fetch('/board/login', { method: 'POST', body: new URLSearchParams({ t: bad }) });
      expect(p.status).toBe(403);
      expect(b.cookies.size).toBe(0);
    }
    // The genuine link still works for its owner afterwards.
    expect((await new Browser(w.app).open(link)).posted!.status).toBe(303);
  });

  it("someone else's link is refused in a browser signed in as another person", async () => {
    const b = await signedIn(ANDING);
    const other = await w.linkFor(WATER);
    const r = await b.fetch(other);
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('别人的看板链接');
    const t = new URL(other).searchParams.get('t')!;
    expect((await b.fetch('/board/login', { method: 'POST', body: new URLSearchParams({ t }) })).status).toBe(403);
    // Still signed in as 安定区's contact, and the other link was not used up.
    expect(await (await b.fetch('/board')).text()).toContain('李安定');
    expect((await new Browser(w.app).open(other)).posted!.status).toBe(303);
  });

  it('a session cookie is not a link and a link is not a cookie', async () => {
    const b = await signedIn(OFFICE);
    const cookie = b.cookies.get(SESSION_COOKIE)!;
    expect((await new Browser(w.app).fetch(`/board/login?t=${cookie}`)).status).toBe(403);
    const link = await w.linkFor(OFFICE);
    const asCookie = new Browser(w.app);
    asCookie.cookies.set(SESSION_COOKIE, new URL(link).searchParams.get('t')!);
    expect((await asCookie.fetch('/board')).status).toBe(401);
  });

  it('logout ends the session; an expired session shows the way in', async () => {
    const b = await signedIn(OFFICE);
    await b.fetch('/board/logout', { method: 'POST' });
    expect((await b.fetch('/board')).status).toBe(401);
    const c = await signedIn(OFFICE);
    w.deps.setNow(w.deps.clock() + 13 * 3600_000);
    expect((await c.fetch('/board')).status).toBe(401);
  });
});

describe('without a session', () => {
  it('the page says how to get in and shows no data; data routes answer 401', async () => {
    const r = await w.app.request(`${BASE}/board`);
    expect(r.status).toBe(401);
    const html = await r.text();
    expect(html).toContain('发送「<b>看板</b>」');
    expect(html).not.toContain('市水务局');
    expect(html).not.toContain('黄河');
    expect(html).not.toMatch(/\d+\.\d+\.\d+/); // no task codes
    for (const p of ['/board/data', '/board/task/5.1.1', '/board/task/5.1.1/data']) {
      const x = await w.app.request(`${BASE}${p}`);
      expect(x.status, p).toBe(401);
      expect(await x.text()).not.toContain('黄河');
    }
  });
  it('assets are served by the app itself, and the page references nothing off-site', async () => {
    const css = await w.app.request(`${BASE}/board/assets/board.css`);
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toContain('text/css');
    expect((await w.app.request(`${BASE}/board/assets/board.js`)).headers.get('content-type')).toContain('javascript');
    const b = await signedIn(OFFICE);
    const html = await (await b.fetch('/board')).text();
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.filter((u) => /^(https?:)?\/\//.test(u))).toEqual([]);
  });
  it('a person without a role who signs in is told how to get bound', async () => {
    // A link cannot be had without a role; a session can outlive the role: unbinding takes effect at once.
    const b = await signedIn(WATER);
    expect((await b.fetch('/board')).status).toBe(200);
    const { roles } = await import('../../src/db/schema.js');
    const { eq } = await import('drizzle-orm');
    await w.deps.db.delete(roles).where(eq(roles.personId, await w.personId(WATER)));
    const r = await b.fetch('/board');
    expect(r.status).toBe(403);
    expect(await r.text()).toContain('绑定');
    expect((await b.fetch('/board/data')).status).toBe(403);
  });
});

describe('roles', () => {
  it('office and leaders see every unit; a contact sees only their own, on the page and the data route', async () => {
    for (const who of [OFFICE, LEADER]) {
      const b = await signedIn(who);
      const data = (await (await b.fetch('/board/data')).json()) as { matrix: Array<{ name: string }>; scope: { all: boolean } };
      expect(data.scope.all).toBe(true);
      expect(data.matrix.map((r) => r.name)).toEqual(['安定区', '通渭县', '陇西县', '市生态环境局', '市发展改革委', '市工信局', '市水务局']);
    }
    const c = await signedIn(ANDING);
    const data = (await (await c.fetch('/board/data')).json()) as { matrix: Array<{ name: string }>; list: Array<{ unitName: string }>; stats: { targets: unknown[]; overdue: Array<{ unitName: string }> } };
    expect(data.matrix.map((r) => r.name)).toEqual(['安定区']);
    expect(new Set(data.list.map((l) => l.unitName))).toEqual(new Set(['安定区']));
    expect(data.stats.targets).toEqual([]);
    const html = await (await c.fetch('/board')).text();
    expect(html).not.toContain('市水务局');
    expect(html).not.toContain('通渭县');
    expect(html).toContain('本单位：安定区');
  });

  it("a contact cannot open another unit's task page, its data, or filter to another unit", async () => {
    const c = await signedIn(ANDING);
    // 8.1.1 belongs to 市生态环境局 and 陇西县 only.
    const page = await c.fetch('/board/task/8.1.1');
    expect(page.status).toBe(403);
    const text = await page.text();
    expect(text).toContain('你只能查看本单位的任务');
    expect(text).not.toContain('完善生态环境监测网络');
    const data = await c.fetch('/board/task/8.1.1/data');
    expect(data.status).toBe(403);
    expect(await data.text()).not.toContain('完善生态环境监测网络');
    const byUnit = await c.fetch(`/board/data?unit=${w.unit('市水务局')}`);
    expect(byUnit.status).toBe(403);
    expect((await c.fetch(`/board?unit=${encodeURIComponent('水务局')}`)).status).toBe(403);
    // A shared task shows only the contact's own assignment and says others exist.
    const shared = (await (await c.fetch('/board/task/5.1.1/data')).json()) as { assignments: Array<{ unitName: string }>; hiddenAssignments: number };
    expect(shared.assignments.map((a) => a.unitName)).toEqual(['安定区']);
    expect(shared.hiddenAssignments).toBe(1);
    const sharedHtml = await (await c.fetch('/board/task/5.1.1')).text();
    expect(sharedHtml).not.toContain('市水务局');
  });

  it('the office sees a task with every assignment, its status, deadlines and history', async () => {
    const b = await signedIn(OFFICE);
    const r = await b.fetch('/board/task/5.1.1');
    expect(r.status).toBe(200);
    const html = await r.text();
    expect(html).toContain('黄河干流入河排污口排查整治');
    expect(html).toContain('2022年5月底前');
    expect(html).toContain('市水务局');
    expect(html).toContain('安定区');
    expect(html).toMatch(/逾期/);
    expect(html).toContain('进度 30%');
    const data = (await (await b.fetch('/board/task/5.1.1/data')).json()) as { assignments: Array<{ unitName: string; history: unknown[]; evidence: unknown[] }> };
    expect(data.assignments.find((a) => a.unitName === '市水务局')!.history.length).toBeGreaterThan(0);
    // No evidence recorded: no evidence section.
    expect(html).not.toContain('佐证材料');
    expect((await b.fetch('/board/task/9.9.9')).status).toBe(404);
  });
});

describe('the task page', () => {
  it('shows evidence where there is any, and nothing where there is none', async () => {
    const b = await signedIn(OFFICE);
    const data = (await (await b.fetch('/board/task/4.1.1/data')).json()) as { assignments: Array<{ assignmentId: number; unitName: string }> };
    const asg = data.assignments.find((a) => a.unitName === '安定区')!;
    expect(await (await b.fetch('/board/task/4.1.1')).text()).not.toContain('佐证材料');
    await w.deps.db.insert(progressReports).values({
      assignmentId: asg.assignmentId,
      kind: 'done_claim',
      percent: 100,
      note: '预案已印发',
      evidenceUrl: 'https://docs.example.gov.cn/yuan.pdf',
      channel: 'chat',
      createdAt: Date.parse('2022-06-20T02:00:00Z'),
    });
    const html = await (await b.fetch('/board/task/4.1.1')).text();
    expect(html).toContain('佐证材料');
    expect(html).toContain('href="https://docs.example.gov.cn/yuan.pdf"');
    expect(html).toContain('预案已印发');
    // Only under the assignment it belongs to.
    expect(html.split('佐证材料').length).toBe(2);
  });

  it('escapes what people and plans wrote', async () => {
    await w.deps.db.update(tasks).set({ title: '<script>alert(1)</script>排查' }).where(eq(tasks.code, '5.1.1'));
    const b = await signedIn(OFFICE);
    for (const p of ['/board', '/board/task/5.1.1']) {
      const html = await (await b.fetch(p)).text();
      expect(html).not.toContain('<script>alert(1)</script>');
      expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;排查');
    }
    const r = await b.fetch('/board');
    expect(r.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(r.headers.get('cache-control')).toContain('no-store');
  });
});

describe('numbers', () => {
  it("the board's counts equal 统计's for the same instant", async () => {
    const b = await signedIn(OFFICE);
    const stats = await w.say(OFFICE, '统计');
    const data = (await (await b.fetch('/board/data')).json()) as {
      stats: { tasks: { total: number; byStatus: Record<string, number> }; assignments: { total: number; byStatus: Record<string, number> }; lights: Record<string, number>; completion: { closedRate: number; doneRate: number } };
    };
    const s = data.stats;
    const status = (c: Record<string, number>) => ['未开始', '进行中', '待核验', '已销号', '逾期'].map((w) => `${w} ${c[w]}`).join(' · ');
    expect(stats).toContain(`任务 ${s.tasks.total} 项：${status(s.tasks.byStatus)}`);
    expect(stats).toContain(`责任分工 ${s.assignments.total} 项：${status(s.assignments.byStatus)}`);
    expect(stats).toContain(`🔴 红灯 ${s.lights.red}　🟡 黄灯 ${s.lights.yellow}　🟢 绿灯 ${s.lights.green}`);
    expect(stats).toContain(`完成率 ${s.completion.closedRate}%，含待核验 ${s.completion.doneRate}%`);
    // The page shows the same figures.
    const html = await (await b.fetch('/board')).text();
    expect(html).toContain(`<b data-k="red">${s.lights.red}</b>`);
    expect(html).toContain(`<b data-k="closedRate">${s.completion.closedRate}%</b>`);
    // And a contact's board equals the contact's 统计.
    const c = await signedIn(ANDING);
    const mine = (await (await c.fetch('/board/data')).json()) as typeof data;
    expect(await w.say(ANDING, '统计')).toContain(`🔴 红灯 ${mine.stats.lights.red}　🟡 黄灯 ${mine.stats.lights.yellow}　🟢 绿灯 ${mine.stats.lights.green}`);
  });

  it('matrix cells add up to the unit totals; a chapter filter equals 统计 <chapter>', async () => {
    const b = await signedIn(OFFICE);
    const data = (await (await b.fetch('/board/data')).json()) as {
      matrix: Array<{ name: string; cells: Array<{ assignments: number; lights: Record<string, number>; light: string } | null>; total: { assignments: number; lights: Record<string, number> } }>;
      chapters: Array<{ number: number }>;
    };
    for (const r of data.matrix) {
      const sum = r.cells.reduce((n, c) => n + (c?.assignments ?? 0), 0);
      expect(sum, r.name).toBe(r.total.assignments);
      const red = r.cells.reduce((n, c) => n + (c?.lights.red ?? 0), 0);
      expect(red).toBe(r.total.lights.red);
    }
    // 市水务局 is red on chapter 5 (碧水): 5.1.1 overdue since 5/31.
    const water = data.matrix.find((r) => r.name === '市水务局')!;
    expect(water.cells[data.chapters.findIndex((c) => c.number === 5)]!.light).toBe('red');
    const ch = (await (await b.fetch('/board/data?chapter=5')).json()) as { stats: { lights: Record<string, number> } };
    expect(await w.say(OFFICE, '统计 碧水')).toContain(`🔴 红灯 ${ch.stats.lights.red}　🟡 黄灯 ${ch.stats.lights.yellow}　🟢 绿灯 ${ch.stats.lights.green}`);
  });

  it('?at= shows the board as of a date, with 统计 computed for that date', async () => {
    const b = await signedIn(OFFICE);
    const at = (await (await b.fetch('/board/data?at=2022-07-05')).json()) as { today: string; stats: { lights: Record<string, number>; overdue: unknown[] } };
    expect(at.today).toBe('2022-07-05');
    w.deps.setNow(Date.parse('2022-07-05T02:00:00Z'));
    expect(await w.say(OFFICE, '统计')).toContain(`🔴 红灯 ${at.stats.lights.red}　🟡 黄灯 ${at.stats.lights.yellow}　🟢 绿灯 ${at.stats.lights.green}`);
    w.deps.setNow(Date.parse('2022-06-27T02:00:00Z'));
    const html = await (await b.fetch('/board?at=2022-07-05')).text();
    expect(html).toContain('正在查看 2022年7月5日 的看板');
    for (const bad of ['2022-13-01', 'yesterday', '2022-7-5']) {
      const r = await b.fetch(`/board?at=${bad}`);
      expect(r.status, bad).toBe(400);
      expect(await r.text()).toContain('2022-07-05 这样的格式');
    }
  });

  it('filters by status, unit and chapter narrow the list; bad filters get a Chinese error', async () => {
    const b = await signedIn(OFFICE);
    const red = (await (await b.fetch('/board/data?status=red')).json()) as { list: Array<{ light: string }>; stats: { lights: Record<'red' | 'yellow' | 'green', number> } };
    expect(red.list.length).toBeGreaterThan(0);
    expect(red.list.every((l) => l.light === 'red')).toBe(true);
    expect(red.stats.lights.yellow + red.stats.lights.green).toBe(0);
    const closed = (await (await b.fetch(`/board/data?status=${encodeURIComponent('已销号')}`)).json()) as { list: Array<{ statusWord: string }> };
    expect(closed.list.every((l) => l.statusWord === '已销号')).toBe(true);
    const unit = (await (await b.fetch(`/board/data?unit=${w.unit('通渭县')}&chapter=4`)).json()) as { list: Array<{ unitName: string; chapter: number }> };
    expect(unit.list.length).toBeGreaterThan(0);
    expect(unit.list.every((l) => l.unitName === '通渭县' && l.chapter === 4)).toBe(true);
    for (const [q, msg] of [
      ['status=purple', '状态「purple」无效'],
      ['chapter=42', '没有第「42」章'],
      ['unit=' + encodeURIComponent('火星局'), '没有找到单位「火星局」'],
    ] as const) {
      const r = await b.fetch(`/board?${q}`);
      expect(r.status, q).toBe(400);
      expect(await r.text()).toContain(msg);
      expect((await b.fetch(`/board/data?${q}`)).status).toBe(400);
    }
  });

  it('week-over-week change comes from the stored digest of an earlier week', async () => {
    const input = await loadStatsInput(w.deps.db, undefined, '2022-06-20');
    const before = summarizeStats(computeStats(input));
    await w.deps.db.insert(digests).values({ weekKey: '2022-W25', generatedAt: Date.parse('2022-06-20T01:00:00Z'), stats: before as never, card: '{}' });
    const b = await signedIn(OFFICE);
    const data = (await (await b.fetch('/board/data')).json()) as { deltas: { since: string; lights: Record<string, number> } | null; stats: { lights: Record<'red' | 'yellow' | 'green', number> } };
    expect(data.deltas?.since).toBe('2022-06-20');
    expect(data.deltas!.lights.red).toBe(data.stats.lights.red - before.lights.red);
    const html = await (await b.fetch('/board')).text();
    expect(html).toContain('较 6月20日 周报的变化');
    expect(html).not.toContain('周报完成率走势'); // one stored digest: no trend yet
    const older = summarizeStats(computeStats(await loadStatsInput(w.deps.db, undefined, '2022-06-13')));
    await w.deps.db.insert(digests).values({ weekKey: '2022-W24', generatedAt: Date.parse('2022-06-13T01:00:00Z'), stats: older as never, card: '{}' });
    const trend = await (await b.fetch('/board')).text();
    expect(trend).toContain('周报完成率走势');
    expect(trend).toMatch(/<polyline points="[\d., ]+"/);
    // A contact's board has no plan-wide comparison.
    const c = await signedIn(ANDING);
    expect(((await (await c.fetch('/board/data')).json()) as { deltas: unknown }).deltas).toBeNull();
  });
});

describe('目标指标 on the board', () => {
  it('shows water classes and values as the digest does, the period of the value, and never a county’s value as the city’s', async () => {
    const [plan] = await w.deps.db.select({ id: plans.id }).from(plans);
    const [water, pm] = await w.deps.db
      .insert(targets)
      .values([
        { planId: plan!.id, code: 'T-W', indicator: '洮河干流水质类别', comparator: '<=', value: 2, unit: '类（Ⅱ类）', year: 2025 },
        { planId: plan!.id, code: 'T-P', indicator: 'PM2.5', comparator: '<=', value: 24, unit: 'μg/m³', year: 2025 },
      ])
      .returning();
    const at = Date.parse('2022-06-20T02:00:00Z');
    await w.deps.db.insert(metricReports).values([
      { targetId: water!.id, value: 3, valueText: 'Ⅲ类', period: '2022-05', channel: 'chat', createdAt: at },
      { targetId: pm!.id, value: 22, period: '2022-05', channel: 'chat', createdAt: at },
      // A county's later value over the target is that county's, not the city's.
      { targetId: pm!.id, value: 30, unitId: w.unit('安定区'), period: '2022-06', channel: 'chat', createdAt: at + 1000 },
    ]);
    const b = await signedIn(LEADER);
    const html = await (await b.fetch('/board')).text();
    const section = html.slice(html.indexOf('id="targets"'), html.indexOf('</section>', html.indexOf('id="targets"')));
    const rows = section.split('<tr>').slice(2).map((r) => r.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ').trim());
    expect(rows).toContain('洮河干流水质类别 （2025 年） ≤ Ⅱ类 Ⅲ类 2022年5月 未达标');
    expect(rows).toContain('PM2.5 （2025 年） ≤ 24 μg/m³ 22 μg/m³ 2022年5月 达标');
    expect(section).not.toContain('类（Ⅱ类）');
  });
});
