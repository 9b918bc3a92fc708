import { describe, expect, it } from 'vitest';
import {
  addWorkdays, hasCalendarData, holidayName, isWorkday, nextWorkday, workdaysBetween,
} from '../../src/domain/calendar.js';
import { addDays, daysBetween, isoWeekKey, lastDayOfMonth, shanghaiDate, shanghaiInstant, weekStart } from '../../src/domain/dates.js';

describe('Asia/Shanghai dates', () => {
  it('derives the Shanghai calendar date of an instant', () => {
    expect(shanghaiDate(Date.parse('2022-06-15T16:00:00Z'))).toBe('2022-06-16');
    expect(shanghaiDate(Date.parse('2022-06-15T15:59:59Z'))).toBe('2022-06-15');
    expect(shanghaiInstant('2022-06-16', '09:00')).toBe(Date.parse('2022-06-16T01:00:00Z'));
  });
  it('does date arithmetic', () => {
    expect(addDays('2022-12-31', 1)).toBe('2023-01-01');
    expect(daysBetween('2022-06-16', '2022-06-30')).toBe(14);
    expect(lastDayOfMonth(2024, 2)).toBe('2024-02-29');
    expect(isoWeekKey('2022-01-02')).toBe('2021-W52');
    expect(isoWeekKey('2022-06-27')).toBe('2022-W26');
    expect(weekStart('2022-07-03')).toBe('2022-06-27');
  });
});

describe('statutory working-day calendar', () => {
  it('knows holidays and make-up workdays (调休)', () => {
    expect(isWorkday('2022-10-03')).toBe(false);
    expect(holidayName('2022-10-03')).toBe('国庆节');
    expect(isWorkday('2022-10-08')).toBe(true); // make-up Saturday
    expect(isWorkday('2022-10-09')).toBe(true); // make-up Sunday
    expect(isWorkday('2022-06-03')).toBe(false); // Dragon Boat
    expect(isWorkday('2022-06-18')).toBe(false); // plain Saturday
    expect(isWorkday('2022-06-16')).toBe(true);
  });
  it('counts working days', () => {
    expect(addWorkdays('2022-06-30', -10)).toBe('2022-06-16');
    expect(workdaysBetween('2022-06-16', '2022-06-30')).toBe(10);
    expect(workdaysBetween('2022-06-30', '2022-06-16')).toBe(-10);
    expect(addWorkdays('2022-09-30', 1)).toBe('2022-10-08');
    expect(nextWorkday('2022-10-01')).toBe('2022-10-08');
    expect(addWorkdays('2022-10-01', 0)).toBe('2022-10-08');
  });
  it('says which years it has data for', () => {
    expect(hasCalendarData(2004)).toBe(true);
    expect(hasCalendarData(2026)).toBe(true);
    expect(hasCalendarData(2027)).toBe(false);
  });
});
