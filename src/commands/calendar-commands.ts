// 节假日 (the office enters a year's holidays when chinese-days does not know it) and 上线 (the office says a plan
// is live and from which day). Both write `settings`; the scheduler reads them on every pass.
import { clearCalendarYear, loadCalendarOverrides, saveCalendarYear } from '../db/calendar-store.js';
import { listPlanLive, PlanLiveError, resolveLivePlan, setPlanLive } from '../db/plan-live-store.js';
import {
  CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR, calendarOverrides, describeYearCalendar, hasCalendarData, libraryCovers, libraryYear,
  parseHolidayInput,
} from '../domain/calendar.js';
import { formatDateZh } from '../domain/dates.js';
import { isOffice } from '../domain/permissions.js';
import { parseDate, splitFirst } from './parse.js';
import type { CommandContext, CommandDef, ParseResult } from './registry.js';
import { ok } from '../domain/result.js';

const fail = (error: string) => ({ ok: false as const, error });

/** What the calendar knows, for the office to check: the library's years, the office's entries, next year. */
export async function calendarStatusLines(ctx: { deps: { db: CommandContext['deps']['db'] }; today: string }): Promise<string[]> {
  const entered = await loadCalendarOverrides(ctx.deps.db);
  const year = Number(ctx.today.slice(0, 4));
  const lines = [`内置节假日数据（chinese-days）：${CALENDAR_FIRST_YEAR}—${CALENDAR_LAST_YEAR} 年`];
  lines.push(entered.length ? `办公室录入：${entered.map((c) => `${c.year} 年`).join('、')}` : '办公室录入：无');
  for (const y of [year, year + 1]) {
    lines.push(`${y} 年：${hasCalendarData(y) ? (entered.some((c) => c.year === y) ? '已录入' : '内置数据已覆盖') : '⚠️ 没有数据，该年的提醒将停发，请录入'}`);
  }
  return lines;
}

function showYear(year: number, office: boolean): string[] {
  const entered = calendarOverrides().find((c) => c.year === year);
  if (entered) {
    const lib = libraryCovers(year) ? '（同一天以办公室录入为准，其余按内置数据）' : '';
    return [`${year} 年节假日（办公室录入）${lib}：`, ...describeYearCalendar(entered)];
  }
  if (libraryCovers(year)) return [`${year} 年节假日（内置数据）：`, ...describeYearCalendar(libraryYear(year))];
  const what = `没有 ${year} 年的节假日数据，该年不会发提醒。`;
  return [office ? `${what}国务院办公厅发布放假通知后，发送「节假日 ${year} <通知全文>」录入。` : `${what}请办公室在国务院办公厅发布放假通知后录入。`];
}

const HOLIDAY_USAGE = '节假日 [年份] [通知全文 | 放假 <名称> <日期>至<日期> … 上班 <日期> … | 清除]';

type HolidayArgs = { year: number | null; rest: string };

const holidays: CommandDef<HolidayArgs> = {
  names: ['节假日', 'holidays', 'calendar'],
  usage: HOLIDAY_USAGE,
  summary: '查看节假日数据；办公室可按国务院通知录入某年的放假和调休上班日期（覆盖内置数据）',
  example: '节假日 2027 一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。1月4日（周一）上班。',
  roles: ['office', 'leader'],
  parse(arg) {
    const [first, rest] = splitFirst(arg);
    if (!first) return ok({ year: null, rest: '' });
    const m = /^(\d{4})年?$/.exec(first.normalize('NFKC'));
    if (!m) return fail('请先写年份，例如「节假日 2027」。');
    const year = Number(m[1]);
    if (year < 2000 || year > 2100) return fail(`年份 ${year} 不合理。`);
    return ok({ year, rest: rest.trim() });
  },
  async run(ctx, { year, rest }) {
    if (year === null) {
      const lines = await calendarStatusLines(ctx);
      return { text: `【节假日数据】\n${lines.join('\n')}\n查看某年：节假日 2027；录入：${HOLIDAY_USAGE}` };
    }
    await loadCalendarOverrides(ctx.deps.db);
    if (!rest) return { text: showYear(year, isOffice(ctx.actor)).join('\n') };
    if (!isOffice(ctx.actor)) return { text: '只有办公室可以录入或清除节假日数据。' };
    const audit = { now: ctx.now, actor: ctx.actor.personId ? `person:${ctx.actor.personId}` : 'system', personId: ctx.actor.personId, channel: ctx.channel };
    if (/^(清除|删除|clear)$/i.test(rest)) {
      const had = await clearCalendarYear(ctx.deps.db, year, audit);
      return { text: had ? `已清除办公室录入的 ${year} 年节假日。${libraryCovers(year) ? '该年改按内置数据。' : '该年现在没有节假日数据，提醒将停发。'}` : `没有办公室录入的 ${year} 年节假日，无需清除。` };
    }
    const parsed = parseHolidayInput(rest, year);
    if (!parsed.ok) return { text: `${parsed.error}\n用法：${HOLIDAY_USAGE}` };
    await saveCalendarYear(ctx.deps.db, { ...parsed.value.calendar, source: rest }, audit);
    return {
      text:
        `已录入 ${year} 年节假日，请核对：\n${describeYearCalendar(parsed.value.calendar).join('\n')}\n` +
        `如有错误，重新发送「节假日 ${year} …」覆盖，或「节假日 ${year} 清除」。`,
    };
  },
};

type LiveArgs = { date: string | null; plan?: string };

const goLive: CommandDef<LiveArgs> = {
  names: ['上线', 'golive', 'live'],
  usage: '上线 [<日期>] [计划编号]',
  summary: '宣布计划上线：从该日起向各单位发提醒（上线日已逾期的事项汇总给办公室）；不带日期查看上线状态',
  example: '上线 2022-06-01',
  roles: ['office'],
  parse(arg, ctx) {
    const [d, rest] = splitFirst(arg);
    if (!d) return ok({ date: null });
    const parsed = parseDate(d, ctx.today);
    if (!parsed.ok) return fail(parsed.error);
    // A date given without a year means this year (the live day is usually today or just past).
    const value = /^\d{4}/.test(d.normalize('NFKC')) ? parsed.value : `${ctx.today.slice(0, 4)}${parsed.value.slice(4)}`;
    const plan = splitFirst(rest)[0] || undefined;
    return ok({ date: value, plan });
  },
  async run(ctx, { date, plan }) {
    const { db } = ctx.deps;
    if (!date) {
      const all = await listPlanLive(db);
      if (!all.length) return { text: '数据库中还没有计划。' };
      return {
        text:
          `【上线状态】\n${all.map((p) => `${p.code}《${p.title}》：${p.liveFrom ? `${formatDateZh(p.liveFrom)}起上线` : '未上线，提醒暂不发送'}`).join('\n')}\n` +
          '宣布上线：上线 <日期> [计划编号]',
      };
    }
    try {
      const p = await resolveLivePlan(db, plan, '「上线 <日期> <计划编号>」');
      await setPlanLive(db, p, date, {
        now: ctx.now, actor: ctx.actor.personId ? `person:${ctx.actor.personId}` : 'system', personId: ctx.actor.personId, channel: ctx.channel,
      });
      const when = date <= ctx.today ? '下一轮巡检起' : `${formatDateZh(date)}起`;
      return {
        text:
          `已宣布《${p.title}》（${p.code}）自 ${formatDateZh(date)} 上线${p.liveFrom && p.liveFrom !== date ? `（原为 ${formatDateZh(p.liveFrom)}）` : ''}。` +
          `${when}按提醒规则向各单位发送提醒；上线日已逾期的事项汇总成一条发给办公室，不逐条发给单位。`,
      };
    } catch (e) {
      if (e instanceof PlanLiveError) return { text: e.message };
      throw e;
    }
  },
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const calendarCommands: CommandDef<any>[] = [goLive, holidays];
