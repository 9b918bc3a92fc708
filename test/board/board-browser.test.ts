// The board in a real browser: Debian's headless Chromium driven by puppeteer-core (which never downloads a browser)
// against the app on a loopback HTTP server, over the bundled Dingxi plan on 2023-01-09. It follows the `看板` link
// flow as each role, checks what each sees, that a contact cannot reach another unit's task or data, that tampered,
// expired and someone else's links are refused, that the counts equal `统计`'s, and saves a desktop and a phone
// screenshot to test/artifacts/ (docs/board-desktop.png is a copy for the README).
//
// Chromium: CHROMIUM_PATH, else /usr/bin/chromium. Absent: the file is skipped with a message, unless CI is set,
// where it fails (.ci/run installs chromium and fonts-noto-cjk with apt-get when missing).
import { serve } from '@hono/node-server';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ANDING, createBoardWorld, LEADER, OFFICE, WATER, type BoardWorld } from './board-fixture.js';

const CHROMIUM = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p): p is string => !!p && existsSync(p));
const IN_CI = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const ARTIFACTS = fileURLToPath(new URL('../artifacts/', import.meta.url));
const NOW = Date.parse('2023-01-09T02:00:00Z'); // 10:00 in Beijing: the plan's 2022 deadlines have passed

if (!CHROMIUM && !IN_CI) {
  console.warn('board-browser.test.ts: skipped: no Chromium (apt-get install chromium fonts-noto-cjk, or set CHROMIUM_PATH). In CI this fails.');
}

describe.skipIf(!CHROMIUM && !IN_CI)('the board in Chromium', () => {
  let w: BoardWorld;
  let browser: Browser;
  let server: ReturnType<typeof serve>;
  let base = '';

  beforeAll(async () => {
    if (!CHROMIUM) throw new Error('Chromium is missing: CI must have it (apt-get install chromium fonts-noto-cjk, or set CHROMIUM_PATH).');
    // The server starts first: PUBLIC_BASE_URL is its address, so the links `看板` sends point at it.
    let fetchApp: (req: Request) => Response | Promise<Response> = () => new Response('starting', { status: 503 });
    server = await new Promise<ReturnType<typeof serve>>((resolve) => {
      const s = serve({ fetch: (req) => fetchApp(req), port: 0, hostname: '127.0.0.1' }, () => resolve(s));
    });
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    w = await createBoardWorld({ plan: 'dingxi', now: NOW, env: { PUBLIC_BASE_URL: base } });
    fetchApp = (req) => w.app.fetch(req);
    browser = await puppeteer.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--lang=zh-CN'],
    });
    mkdirSync(ARTIFACTS, { recursive: true });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    w?.close();
  });

  /** A fresh browser profile (no cookies) signed in through the link `看板` sends to openId. */
  async function signIn(openId: string, viewport = { width: 1280, height: 800 }): Promise<Page> {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    await page.setViewport(viewport);
    const link = await w.linkFor(openId);
    if (process.env.BOARD_DEBUG) page.on('response', (r) => console.log('RESP', r.request().method(), r.url().slice(0, 80), r.status(), JSON.stringify(r.headers()['set-cookie'] ?? '')));
    // The landing page POSTs the link by script, then the app redirects to /board.
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.goto(link, { waitUntil: 'load' })]);
    if (!page.url().endsWith('/board')) await page.waitForNavigation({ waitUntil: 'load' }).catch(() => undefined);
    expect(new URL(page.url()).pathname).toBe('/board');
    return page;
  }

  const kpi = (page: Page, k: string) => page.$eval(`[data-k="${k}"]`, (el) => el.textContent?.trim() ?? '');

  it('the office follows the link to the board; its counts equal 统计; desktop and phone screenshots', async () => {
    const page = await signIn(OFFICE);
    // The session cookie is HttpOnly: the page's script cannot read it.
    expect(await page.evaluate('document.cookie')).toBe('');
    const cookies = await page.browserContext().cookies();
    expect(cookies.find((c) => c.name === 'duban_board')).toMatchObject({ httpOnly: true, sameSite: 'Lax' });

    const stats = await w.say(OFFICE, '统计');
    const [red, yellow, green, rate] = await Promise.all(['red', 'yellow', 'green', 'closedRate'].map((k) => kpi(page, k)));
    expect(stats).toContain(`🔴 红灯 ${red}　🟡 黄灯 ${yellow}　🟢 绿灯 ${green}`);
    expect(stats).toContain(`完成率 ${rate}，`);
    expect(await kpi(page, 'tasks')).toBe(/任务 (\d+) 项/.exec(stats)![1]);

    // The matrix: counties first in the plan's order, coloured cells; 岷县 (a laggard) has red cells.
    const rows = await page.$$eval('#matrix tbody tr:not(.group) td.unit', (tds) => tds.map((t) => t.textContent?.trim()));
    expect(rows.slice(0, 7)).toEqual(['安定区', '通渭县', '陇西县', '渭源县', '临洮县', '漳县', '岷县']);
    const redCells = await page.$$eval('#matrix td.c-red', (tds) => tds.length);
    expect(redCells).toBeGreaterThan(0);
    // Every asset came from the app itself.
    const resources = await page.evaluate(() => (performance.getEntriesByType('resource') as Array<{ name: string }>).map((e) => e.name));
    expect(resources.length).toBeGreaterThan(0);
    expect(resources.every((u) => u.startsWith(base))).toBe(true);

    await page.screenshot({ path: `${ARTIFACTS}board-desktop.png` });
    await page.screenshot({ path: `${ARTIFACTS}board-desktop-full.png`, fullPage: true });
    if (process.env.BOARD_DEBUG) {
      for (const id of ['overdue', 'county-ranking', 'chapters', 'targets', 'assignments']) await (await page.$(`#${id}`))?.screenshot({ path: `${ARTIFACTS}part-${id}.png` });
    }
    await page.setViewport({ width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    await page.reload({ waitUntil: 'load' });
    // No horizontal scrolling of the page itself on a phone (the matrix scrolls inside its card).
    const overflow = (await page.evaluate('document.documentElement.scrollWidth - window.innerWidth')) as number;
    expect(overflow).toBeLessThanOrEqual(1);
    // Every chapter column of the Dingxi matrix is on screen without scrolling it sideways: which county is red on
    // which chapter is seen at a glance (the totals column and the cells' denominators give way on a phone).
    const matrixOverflow = (await page.$eval('#matrix', (t) => t.parentElement!.scrollWidth - t.parentElement!.clientWidth)) as number;
    expect(matrixOverflow).toBeLessThanOrEqual(1);
    await page.screenshot({ path: `${ARTIFACTS}board-phone.png` });
    await page.browserContext().close();
  });

  it('filters apply on change; a matrix cell leads to that unit and chapter; a task page shows history', async () => {
    const page = await signIn(LEADER);
    await Promise.all([page.waitForNavigation(), page.select('select[name="status"]', 'red')]);
    expect(new URL(page.url()).searchParams.get('status')).toBe('red');
    const lights = await page.$$eval('#assignments .tag', (ts) => [...new Set(ts.map((t) => t.className))]);
    expect(lights).toEqual(['tag red']);
    await page.goto(`${base}/board`, { waitUntil: 'load' });
    const href = await page.$eval('#matrix td.c-red a', (a) => a.getAttribute('href')!);
    await Promise.all([page.waitForNavigation(), page.click('#matrix td.c-red a')]);
    const u = new URL(page.url());
    expect(u.pathname + u.search).toBe(href);
    expect(u.searchParams.get('unit')).toBeTruthy();
    expect(u.searchParams.get('chapter')).toBeTruthy();
    await Promise.all([page.waitForNavigation(), page.click('#assignments tbody a')]);
    expect(new URL(page.url()).pathname).toMatch(/^\/board\/task\//);
    expect(await page.$eval('#task pre', (p) => p.textContent!.length)).toBeGreaterThan(5);
    expect(await page.$$eval('#task-assignments .asg', (a) => a.length)).toBeGreaterThan(0);
    await page.screenshot({ path: `${ARTIFACTS}board-task.png`, fullPage: true });
    await page.browserContext().close();
  });

  it("a contact sees only their unit and cannot open another unit's task page or data", async () => {
    const page = await signIn(ANDING);
    const rows = await page.$$eval('#matrix tbody tr:not(.group) td.unit', (tds) => tds.map((t) => t.textContent?.trim()));
    expect(rows).toEqual(['安定区']);
    // No other unit appears as a unit anywhere (task titles may name counties, so look at unit cells and lists).
    const unitCells = await page.$$eval('#overdue tbody tr td:first-child, #due-soon tbody tr td:nth-child(2), #assignments tbody tr td:nth-child(2)', (tds) => [
      ...new Set(tds.map((t) => t.textContent!.replace(/（.*$/, '').trim())),
    ]);
    expect(unitCells.every((u) => u === '安定区')).toBe(true);
    expect(await page.$$eval('select[name="unit"] option', (os) => os.map((o) => o.textContent))).toEqual(['本单位全部', '安定区']);
    const stats = await w.say(ANDING, '统计');
    const [red, yellow, green] = await Promise.all(['red', 'yellow', 'green'].map((k) => kpi(page, k)));
    expect(stats).toContain(`🔴 红灯 ${red}　🟡 黄灯 ${yellow}　🟢 绿灯 ${green}`);

    // A task 安定区 has no part in: the page and its data are refused.
    const foreign = await foreignTask();
    const res = await page.goto(`${base}/board/task/${foreign}`, { waitUntil: 'load' });
    expect(res!.status()).toBe(403);
    expect(await page.$eval('body', (b) => b.innerText)).toContain('只能查看本单位的任务');
    const data = await page.evaluate(async (p) => {
      const r = await fetch(p);
      return { status: r.status, text: await r.text() };
    }, `/board/task/${foreign}/data`);
    expect(data.status).toBe(403);
    const other = await page.evaluate(async (p) => (await fetch(p)).status, `/board/data?unit=${w.unit('通渭县')}`);
    expect(other).toBe(403);
    await page.browserContext().close();
  });

  async function foreignTask(): Promise<string> {
    const office = await signInData(OFFICE);
    const line = office.list.find((l) => l.unitName !== '安定区' && !office.list.some((m) => m.taskCode === l.taskCode && m.unitName === '安定区'));
    return line!.taskCode;
  }

  async function signInData(openId: string): Promise<{ list: Array<{ taskCode: string; unitName: string }> }> {
    const page = await signIn(openId);
    const j = await page.evaluate(async () => (await fetch('/board/data')).json());
    await page.browserContext().close();
    return j as { list: Array<{ taskCode: string; unitName: string }> };
  }

  it('tampered, expired and someone else\'s links are refused', async () => {
    const ctx = await browser.createBrowserContext();
    const page = await ctx.newPage();
    const link = await w.linkFor(WATER);
    const t = new URL(link).searchParams.get('t')!;
    const [body, mac] = t.split('.');
    const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(body!, 'base64url').toString()), p: await w.personId(OFFICE) })).toString('base64url');
    let res = await page.goto(`${base}/board/login?t=${forged}.${mac}`, { waitUntil: 'load' });
    expect(res!.status()).toBe(403);
    expect(await page.$eval('body', (b) => b.innerText)).toContain('校验未通过');
    expect(await ctx.cookies()).toEqual([]);

    // Expired: the same link, eleven minutes later.
    const late = await w.linkFor(WATER);
    w.deps.setNow(NOW + 11 * 60_000);
    res = await page.goto(late, { waitUntil: 'load' });
    expect(res!.status()).toBe(403);
    expect(await page.$eval('body', (b) => b.innerText)).toContain('链接已过期');
    w.deps.setNow(NOW);

    // Someone else's: 安定区's contact, signed in, opens 市水务局's link.
    const mine = await signIn(ANDING);
    res = await mine.goto(link, { waitUntil: 'load' });
    expect(res!.status()).toBe(403);
    expect(await mine.$eval('body', (b) => b.innerText)).toContain('别人的看板链接');
    await mine.goto(`${base}/board`, { waitUntil: 'load' });
    expect(await mine.$eval('header', (h) => h.textContent)).toContain('李安定');
    await mine.browserContext().close();

    // Without a session: how to get in, no data.
    res = await page.goto(`${base}/board`, { waitUntil: 'load' });
    expect(res!.status()).toBe(401);
    const text = await page.$eval('body', (b) => b.innerText);
    expect(text).toContain('看板');
    expect(text).not.toContain('安定区');
    await ctx.close();
  });
});
