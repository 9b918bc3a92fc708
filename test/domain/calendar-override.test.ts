// The office's holiday entries: parsing the State Council notice or dates, and overriding chinese-days.
import { afterEach, describe, expect, it } from 'vitest';
import {
  CALENDAR_LAST_YEAR, describeYearCalendar, hasCalendarData, holidayName, isWorkday, libraryCovers, parseHolidayDates,
  parseHolidayInput, parseHolidayNotice, setCalendarOverrides,
} from '../../src/domain/calendar.js';
import { checkGate } from '../../src/domain/reminder-plan.js';
import { shanghaiInstant } from '../../src/domain/dates.js';

afterEach(() => setCalendarOverrides([]));

const NOTICE_2021 = `国务院办公厅关于2021年部分节假日安排的通知
经国务院批准，现将2021年元旦、春节、清明节、劳动节、端午节、中秋节和国庆节放假调休日期的具体安排通知如下。
一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。1月4日（周一）上班。
二、春节：2月11日至17日放假调休，共7天。2月7日（周日）、2月20日（周六）上班。
三、清明节：4月3日至5日放假调休，共3天。
四、劳动节：5月1日至5日放假调休，共5天。4月25日（周日）、5月8日（周六）上班。
五、端午节：6月12日至14日放假，共3天。
六、中秋节：9月19日至21日放假调休，共3天。9月18日（周六）上班。
七、国庆节：10月1日至7日放假调休，共7天。9月26日（周日）、10月9日（周六）上班。
节假日期间，各地区、各部门要妥善安排好值班和安全、保卫、疫情防控等工作。`;

describe('the State Council notice as pasted text', () => {
  it('reads every holiday and make-up workday of a real notice, matching chinese-days for that year', () => {
    const r = parseHolidayNotice(NOTICE_2021, 2021);
    if (!r.ok) throw new Error(r.error);
    expect(Object.keys(r.value.calendar.holidays)).toHaveLength(31);
    expect(r.value.calendar.workdays).toEqual(['2021-01-04', '2021-02-07', '2021-02-20', '2021-04-25', '2021-05-08', '2021-09-18', '2021-09-26', '2021-10-09']);
    expect(r.value.calendar.holidays['2021-02-11']).toBe('春节');
    // The library knows 2021: the notice agrees with it day for day.
    setCalendarOverrides([]);
    for (const d of Object.keys(r.value.calendar.holidays)) expect(isWorkday(d)).toBe(false);
    for (const d of r.value.calendar.workdays) expect(isWorkday(d)).toBe(true);
    expect(r.value.lines[1]).toBe('春节：2月11日至2月17日 放假，2月7日、2月20日 上班');
  });
  it.each([
    ['一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。1月4日（周一）上班。', 2027, ['2027-01-01', '2027-01-02', '2027-01-03'], ['2027-01-04']],
    ['春节：2月10日至17日放假调休，共8天。2月4日（周日）、2月18日（周日）上班。', 2024, ['2024-02-10', '2024-02-11', '2024-02-12', '2024-02-13', '2024-02-14', '2024-02-15', '2024-02-16', '2024-02-17'], ['2024-02-04', '2024-02-18']],
    ['国庆节：9月29日至10月6日放假调休，共8天。10月7日（星期六）、10月8日（星期日）上班。', 2023, ['2023-09-29', '2023-09-30', '2023-10-01', '2023-10-02', '2023-10-03', '2023-10-04', '2023-10-05', '2023-10-06'], ['2023-10-07', '2023-10-08']],
    ['一、元旦：2022年12月31日至2023年1月2日放假调休，共3天。', 2023, ['2023-01-01', '2023-01-02'], []],
    ['三、端午节：6月10日（星期一）放假，与周末连休。', 2024, ['2024-06-10'], []],
    ['二、春节：2月15日至23日（农历除夕至正月初七）放假调休，共9天。2月14日（星期六）、2月28日（星期六）上班。', 2027, ['2027-02-15', '2027-02-16', '2027-02-17', '2027-02-18', '2027-02-19', '2027-02-20', '2027-02-21', '2027-02-22', '2027-02-23'], ['2027-02-14', '2027-02-28']],
  ])('%s', (text, year, holidays, workdays) => {
    const r = parseHolidayNotice(text, year);
    if (!r.ok) throw new Error(r.error);
    expect(Object.keys(r.value.calendar.holidays).sort()).toEqual(holidays);
    expect(r.value.calendar.workdays).toEqual(workdays);
  });
  it('says what is wrong with text that is not a notice', () => {
    expect(parseHolidayNotice('明年放假多一些', 2027)).toMatchObject({ ok: false });
    expect(parseHolidayNotice('元旦：2月30日放假。', 2027)).toMatchObject({ ok: false, error: expect.stringContaining('无效') });
  });
});

describe('dates typed by the office', () => {
  it.each([
    ['放假 元旦 2027-01-01至2027-01-03 春节 2027-02-06~2027-02-13 上班 2027-02-14 2027-02-20', { '2027-01-01': '元旦', '2027-02-13': '春节' }, ['2027-02-14', '2027-02-20']],
    ['放假 2027/5/1..2027/5/5 上班 2027/4/25', { '2027-05-01': '节假日', '2027-05-05': '节假日' }, ['2027-04-25']],
    ['放假 国庆节 10月1日至10月7日，上班 9月26日、10月9日', { '2027-10-01': '国庆节', '2027-10-07': '国庆节' }, ['2027-09-26', '2027-10-09']],
  ])('%s', (text, someHolidays, workdays) => {
    const r = parseHolidayDates(text, 2027);
    if (!r.ok) throw new Error(r.error);
    expect(r.value.calendar.holidays).toMatchObject(someHolidays);
    expect(r.value.calendar.workdays).toEqual(workdays);
    expect(parseHolidayInput(text, 2027)).toEqual(r);
  });
  it.each([
    ['2027-01-01', '请先写「放假」或「上班」'],
    ['放假 2026-01-01', '不在 2027 年'],
    ['放假 2027-01-05至2027-01-01', '无效'],
    ['放假 2027-01-01 上班 2027-01-01', '既写成放假又写成上班'],
    ['放假 hello', '看不懂'],
    ['', '没有读到日期'],
  ])('refuses %j', (text, why) => {
    expect(parseHolidayDates(text, 2027)).toMatchObject({ ok: false, error: expect.stringContaining(why) });
  });
});

describe('overriding the library', () => {
  it('a year chinese-days does not know becomes known: holidays, make-up days and the gate', () => {
    expect(CALENDAR_LAST_YEAR).toBeLessThan(2027);
    expect(hasCalendarData(2027)).toBe(false);
    // Uncovered: the library answers Mon–Fri only, and the gate refuses to guess.
    expect(checkGate(shanghaiInstant('2027-01-04', '10:00'), { start: '09:00', end: '18:00' })).toBe('no_calendar_data');
    const r = parseHolidayInput('一、元旦：1月1日（周五）至3日（周日）放假调休，共3天。1月4日（周一）上班。\n二、春节：2月6日至13日放假调休，共8天。2月14日（周日）、2月20日（周六）上班。', 2027);
    if (!r.ok) throw new Error(r.error);
    setCalendarOverrides([r.value.calendar]);
    expect(hasCalendarData(2027)).toBe(true);
    expect(libraryCovers(2027)).toBe(false);
    expect(isWorkday('2027-01-01')).toBe(false);
    expect(isWorkday('2027-02-08')).toBe(false); // a Monday inside 春节
    expect(isWorkday('2027-02-14')).toBe(true); // a make-up Sunday
    expect(isWorkday('2027-02-21')).toBe(false); // an ordinary Sunday
    expect(holidayName('2027-02-10')).toBe('春节');
    expect(checkGate(shanghaiInstant('2027-02-14', '10:00'), { start: '09:00', end: '18:00' })).toBeNull();
    expect(checkGate(shanghaiInstant('2027-02-08', '10:00'), { start: '09:00', end: '18:00' })).toBe('not_workday');
    expect(describeYearCalendar(r.value.calendar)).toEqual(['元旦：1月1日至1月3日 放假（3 天）', '春节：2月6日至2月13日 放假（8 天）', '调休上班：1月4日、2月14日、2月20日']);
  });
  it.each([
    // date, library says, office says, result
    ['2022-10-03', false, { workdays: ['2022-10-03'] }, true],
    ['2022-10-08', true, { holidays: { '2022-10-08': '国庆节' } }, false],
    ['2022-06-15', true, { holidays: { '2022-06-15': '调整' } }, false],
    ['2022-10-04', false, { holidays: { '2022-10-10': '其他' } }, false], // a day only the library knows keeps its answer
    ['2022-10-09', true, { workdays: ['2022-12-31'] }, true],
  ])('%s: library %s, office %j -> workday %s', (date, lib, office, expected) => {
    setCalendarOverrides([]);
    expect(isWorkday(date)).toBe(lib);
    setCalendarOverrides([{ year: 2022, holidays: {}, workdays: [], ...office }]);
    expect(isWorkday(date)).toBe(expected);
  });
});
