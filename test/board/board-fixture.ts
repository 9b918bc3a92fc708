// A world for the board tests: the app over a seeded plan, people in every role, the `看板` command run as each of
// them (the real registry and resolveActor), and a cookie jar that follows the link flow over HTTP.
import { eq } from 'drizzle-orm';
import { createApp } from '../../src/app.js';
import { resolveActor } from '../../src/db/people-store.js';
import { buildRegistry, findCommand } from '../../src/commands/index.js';
import type { CommandContext } from '../../src/commands/registry.js';
import { assignments, people, roles, units } from '../../src/db/schema.js';
import { shanghaiDate } from '../../src/domain/dates.js';
import { applyPlan } from '../../src/plans/load.js';
import { bundledPlan } from '../../src/plans/bundled.js';
import { createTestDeps, type TestDeps } from '../helpers/deps.js';
import { recordProgress } from '../helpers/plan-fixture.js';
import { seedScenario } from '../helpers/progress-scenario.js';
import { message } from '../helpers/command-fixture.js';

export const BASE = 'https://duban.test';
export const OFFICE = 'ou_board_office';
export const LEADER = 'ou_board_leader';
/** Contact of 安定区. */
export const ANDING = 'ou_board_anding';
/** Contact of 市水务局. */
export const WATER = 'ou_board_water';
export const STRANGER = 'ou_board_stranger';

export interface BoardWorld {
  deps: TestDeps;
  app: ReturnType<typeof createApp>;
  unit: (name: string) => number;
  personId: (openId: string) => Promise<number>;
  /** Run `看板` as openId; returns the reply text. */
  say: (openId: string, text?: string, chatType?: 'p2p' | 'group') => Promise<string>;
  /** The https link in the reply of `看板` as openId. */
  linkFor: (openId: string) => Promise<string>;
  close: () => void;
}

async function addPeople(deps: TestDeps, unitId: (n: string) => number, anding: string, water: string) {
  const p = await deps.db
    .insert(people)
    .values([
      { openId: OFFICE, name: '赵办公室' },
      { openId: LEADER, name: '王领导' },
      { openId: ANDING, name: '李安定' },
      { openId: WATER, name: '陈水务' },
      { openId: STRANGER, name: '路人甲' },
    ])
    .returning();
  await deps.db.insert(roles).values([
    { personId: p[0]!.id, role: 'office', unitId: 0 },
    { personId: p[1]!.id, role: 'leader', unitId: 0 },
    { personId: p[2]!.id, role: 'contact', unitId: unitId(anding) },
    { personId: p[3]!.id, role: 'contact', unitId: unitId(water) },
  ]);
}

export async function createBoardWorld(opts: { plan?: 'small' | 'dingxi'; now?: number; env?: Record<string, string> } = {}): Promise<BoardWorld> {
  const now = opts.now ?? Date.parse('2022-06-27T02:00:00Z');
  const deps = createTestDeps({ PUBLIC_BASE_URL: BASE, ...opts.env }, now);
  let unit: (n: string) => number;
  if ((opts.plan ?? 'small') === 'small') {
    const p = await seedScenario(deps.db);
    unit = p.unitId;
  } else {
    await applyPlan(deps.db, bundledPlan(), { now: Date.parse('2022-06-01T00:00:00Z'), actor: 'system', channel: 'system' });
    const rows = await deps.db.select({ id: units.id, name: units.name }).from(units);
    const m = new Map(rows.map((r) => [r.name, r.id]));
    unit = (n) => m.get(n)!;
    await seedDingxiProgress(deps);
  }
  await addPeople(deps, unit, '安定区', '市水务局');
  const app = createApp(deps);
  const registry = buildRegistry();
  const say = async (openId: string, text = '看板', chatType: 'p2p' | 'group' = 'p2p') => {
    const n = deps.clock();
    const actor = await resolveActor(deps, { openId }, n);
    const [name, ...rest] = text.split(/\s+/);
    const cmd = findCommand(registry, name!)!;
    const ctx: CommandContext = { deps, actor, msg: message(openId, text, { chatType }), now: n, today: shanghaiDate(n), channel: 'chat', sentMessages: deps.sentMessages };
    if (cmd.roles !== 'any' && !actor.roles.some((r) => (cmd.roles as string[]).includes(r)) && !actor.roles.includes('office')) return '（无权使用）';
    const parsed = await cmd.parse(rest.join(' '), ctx);
    if (!parsed.ok) return parsed.error;
    return (await cmd.run(ctx, parsed.value)).text ?? '';
  };
  return {
    deps,
    app,
    unit,
    personId: async (openId) => (await deps.db.select({ id: people.id }).from(people).where(eq(people.openId, openId)))[0]!.id,
    say,
    async linkFor(openId) {
      const text = await say(openId);
      const m = /浏览器打开：(\S+)/.exec(text);
      if (!m) throw new Error(`no link in: ${text}`);
      return m[1]!;
    },
    close: () => deps.close(),
  };
}

/**
 * Progress on the Dingxi plan that makes a realistic board on 2022-07-05: most counties report, a few fall behind.
 * Deterministic (no randomness): every k-th assignment of each unit is closed / in progress / left alone.
 */
export async function seedDingxiProgress(deps: TestDeps) {
  const rows = await deps.db
    .select({ id: assignments.id, unitId: assignments.unitId, name: units.name, kind: units.kind })
    .from(assignments)
    .innerJoin(units, eq(units.id, assignments.unitId))
    .orderBy(assignments.id);
  const laggards = new Set(['通渭县', '岷县', '市水务局']);
  const seen = new Map<number, number>();
  for (const r of rows) {
    const i = (seen.get(r.unitId) ?? 0) + 1;
    seen.set(r.unitId, i);
    const at = Date.parse('2022-06-10T02:00:00Z') + (r.id % 20) * 86_400_000;
    const slow = laggards.has(r.name);
    if (i % (slow ? 5 : 2) === 0) await recordProgress(deps.db, r.id, { state: 'closed', percent: 100 }, at);
    else if (i % 3 === 0) await recordProgress(deps.db, r.id, { state: 'claimed', percent: 100 }, at);
    else if (!slow && i % 3 === 1) await recordProgress(deps.db, r.id, { state: 'in_progress', percent: 40 + (i % 5) * 10 }, at);
  }
}

/** A cookie jar over app.request: follows the link flow like a browser. */
export class Browser {
  cookies = new Map<string, string>();
  constructor(private app: BoardWorld['app']) {}
  private header() {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }
  async fetch(path: string, init: RequestInit = {}): Promise<Response> {
    const url = path.startsWith('http') ? path : `${BASE}${path}`;
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', this.header());
    const res = await this.app.request(url, { ...init, headers, redirect: 'manual' });
    for (const sc of res.headers.getSetCookie()) {
      const [pair] = sc.split(';');
      const eq = pair!.indexOf('=');
      const k = pair!.slice(0, eq);
      const v = pair!.slice(eq + 1);
      if (!v || /max-age=0/i.test(sc)) this.cookies.delete(k);
      else this.cookies.set(k, v);
    }
    return res;
  }
  /** GET the link (the landing page), then POST it as the page's form would. */
  async open(link: string): Promise<{ landing: Response; posted: Response | null }> {
    const landing = await this.fetch(link);
    if (landing.status !== 200) return { landing, posted: null };
    const t = new URL(link).searchParams.get('t')!;
    const posted = await this.fetch('/board/login', { method: 'POST', body: new URLSearchParams({ t }) });
    return { landing, posted };
  }
}
