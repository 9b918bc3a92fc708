// `npx duban calendar [show [年份] | set <年份> (--file 通知.txt | <日期…>) | clear <年份>]`: the office's holiday
// entries for years chinese-days does not know (or to correct it); kept in the database, used by every runtime.
import fs from 'node:fs/promises';
import { clearCalendarYear, loadCalendarOverrides, saveCalendarYear } from '../db/calendar-store.js';
import {
  CALENDAR_FIRST_YEAR, CALENDAR_LAST_YEAR, describeYearCalendar, hasCalendarData, libraryCovers, libraryYear, parseHolidayInput,
} from '../domain/calendar.js';
import { shanghaiDate } from '../domain/dates.js';
import { CliUsageError, parseArgs, type CliCommand } from './types.js';

function yearArg(raw: string | undefined): number {
  const m = /^(\d{4})$/.exec(raw ?? '');
  if (!m || Number(m[1]) < 2000 || Number(m[1]) > 2100) throw new CliUsageError(`请给出年份，例如 2027${raw ? `（“${raw}”不是年份）` : ''}`);
  return Number(m[1]);
}

export const calendarCommand: CliCommand = {
  name: 'calendar',
  usage: 'calendar [show [年份]] | calendar set <年份> (--file 通知.txt | 放假 <名称> <日期>至<日期> … 上班 <日期> …) | calendar clear <年份>',
  summary: '节假日数据：查看；按国务院通知（文件或日期）录入某年的放假和调休上班日（覆盖内置数据）；清除',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { file: 'string' });
    const [sub = 'show', yearRaw, ...rest] = positionals;
    const { db } = ctx.database();
    const entered = await loadCalendarOverrides(db);
    const audit = { now: ctx.now(), actor: 'cli', channel: 'cli' };
    if (sub === 'show') {
      if (!yearRaw) {
        const year = Number(shanghaiDate(ctx.now()).slice(0, 4));
        ctx.out(`内置节假日数据（chinese-days）：${CALENDAR_FIRST_YEAR}—${CALENDAR_LAST_YEAR} 年`);
        ctx.out(`办公室录入：${entered.length ? entered.map((c) => `${c.year} 年`).join('、') : '无'}`);
        for (const y of [year, year + 1]) ctx.out(`${y} 年：${hasCalendarData(y) ? '有数据' : '没有数据（该年的提醒将停发，请用 calendar set 录入）'}`);
        return 0;
      }
      const year = yearArg(yearRaw);
      const mine = entered.find((c) => c.year === year);
      if (mine) ctx.out(`${year} 年节假日（办公室录入${libraryCovers(year) ? '，同一天以此为准' : ''}）：`);
      else if (libraryCovers(year)) ctx.out(`${year} 年节假日（内置数据）：`);
      else {
        ctx.out(`没有 ${year} 年的节假日数据，该年不会发提醒。国务院办公厅发布放假通知后，用 npx duban calendar set ${year} --file 通知.txt 录入。`);
        return 0;
      }
      for (const l of describeYearCalendar(mine ?? libraryYear(year))) ctx.out(`  ${l}`);
      return 0;
    }
    if (sub === 'set') {
      const year = yearArg(yearRaw);
      let text = rest.join(' ');
      if (typeof options.file === 'string') {
        if (text) throw new CliUsageError('--file 与日期只能二选一');
        try {
          text = (await fs.readFile(options.file, 'utf8')).replace(/^\uFEFF/, '');
        } catch {
          ctx.err(`找不到或无法读取文件：${options.file}`);
          return 1;
        }
      }
      if (!text.trim()) throw new CliUsageError('请给出 --file 通知.txt，或「放假 元旦 2027-01-01至2027-01-03 上班 2027-01-04」这样的日期');
      const parsed = parseHolidayInput(text, year);
      if (!parsed.ok) {
        ctx.err(parsed.error);
        return 1;
      }
      await saveCalendarYear(db, { ...parsed.value.calendar, source: text }, audit);
      ctx.out(`已录入 ${year} 年节假日，请核对：`);
      for (const l of describeYearCalendar(parsed.value.calendar)) ctx.out(`  ${l}`);
      return 0;
    }
    if (sub === 'clear') {
      const year = yearArg(yearRaw);
      const had = await clearCalendarYear(db, year, audit);
      ctx.out(had ? `已清除办公室录入的 ${year} 年节假日。` : `没有办公室录入的 ${year} 年节假日。`);
      return 0;
    }
    throw new CliUsageError(`未知子命令：${sub}`);
  },
};
