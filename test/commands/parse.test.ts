import { describe, expect, it } from 'vitest';
import {
  clipNote,
  didYouMean,
  interpretReply,
  matchCommandName,
  MAX_NOTE_CHARS,
  normaliseTaskCode,
  normaliseText,
  parseDate,
  parsePercent,
  parseRequestNo,
} from '../../src/commands/parse.js';

describe('normaliseText', () => {
  it('folds full-width, strips zero-width, a leading slash and extra spaces', () => {
    expect(normaliseText('／进度　４．１．１  ６０％\u200b')).toBe('进度 4.1.1 60%');
    expect(normaliseText('/help')).toBe('help');
    expect(normaliseText(' \n ')).toBe('');
  });
});

describe('matchCommandName', () => {
  const names = ['进度', 'progress', '无变化', '任务', '我的任务'];
  it('matches names, English case-insensitively, and Chinese glued to args', () => {
    expect(matchCommandName('PROGRESS 4.1.1 60', names)).toEqual({ name: 'progress', rest: '4.1.1 60' });
    expect(matchCommandName('进度4.1.1 60%', names)).toEqual({ name: '进度', rest: '4.1.1 60%' });
    expect(matchCommandName('我的任务', names)).toEqual({ name: '我的任务', rest: '' });
    expect(matchCommandName('progress4.1.1', names)).toBeNull();
    expect(matchCommandName('你好', names)).toBeNull();
  });
});

describe('parsePercent', () => {
  it('accepts 0–100 integers with or without %', () => {
    expect(parsePercent('60%')).toEqual({ ok: true, value: 60 });
    expect(parsePercent('６０％')).toEqual({ ok: true, value: 60 });
    expect(parsePercent('0')).toEqual({ ok: true, value: 0 });
    expect(parsePercent('100')).toEqual({ ok: true, value: 100 });
  });
  it('explains what is wrong', () => {
    const r = parsePercent('150%');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toContain('0–100');
    expect(!r.ok && r.error).toContain('150');
    expect(parsePercent('60.5%').ok).toBe(false);
    expect(parsePercent('abc').ok).toBe(false);
    expect(parsePercent('-5').ok).toBe(false);
  });
});

describe('parseDate', () => {
  const today = '2022-06-16';
  it.each([
    ['2022-07-31', '2022-07-31'],
    ['2022/7/31', '2022-07-31'],
    ['2022年7月31日', '2022-07-31'],
    ['７月３１日', '2022-07-31'],
    ['7月31号', '2022-07-31'],
    ['7/31', '2022-07-31'],
    ['7月底', '2022-07-31'],
    ['2月底', '2023-02-28'],
    ['3月1日', '2023-03-01'],
    ['月底', '2022-06-30'],
    ['下月底', '2022-07-31'],
    ['年底', '2022-12-31'],
    ['明年底', '2023-12-31'],
    ['2023年6月底前', '2023-06-30'],
  ])('%s → %s', (raw, want) => {
    expect(parseDate(raw, today)).toEqual({ ok: true, value: want });
  });
  it('rejects impossible and malformed dates with the accepted forms', () => {
    for (const bad of ['2022-02-30', '13月1日', '明天吧', '2022-7-32', '']) {
      const r = parseDate(bad, today);
      expect(r.ok, bad).toBe(false);
      expect(!r.ok && r.error).toContain('7月31日');
    }
  });
  it('下月底 in December rolls into the next year', () => {
    expect(parseDate('下月底', '2022-12-05')).toEqual({ ok: true, value: '2023-01-31' });
  });
});

describe('codes, request numbers, notes', () => {
  it('normalises full-width digits and 。 in codes', () => {
    expect(normaliseTaskCode('４。１。２')).toBe('4.1.2');
    expect(normaliseTaskCode('4．1．2')).toBe('4.1.2');
  });
  it('reads request numbers', () => {
    expect(parseRequestNo('#3')).toBe(3);
    expect(parseRequestNo('３号')).toBe(3);
    expect(parseRequestNo('abc')).toBeNull();
  });
  it('cuts long notes and says so', () => {
    const r = clipNote('好'.repeat(5000));
    expect(r.cut).toBe(true);
    expect([...r.note!].length).toBe(MAX_NOTE_CHARS);
    expect(clipNote('短').cut).toBe(false);
  });
  it('did-you-mean finds near codes and names', () => {
    expect(didYouMean('4.1.3', ['4.1.1', '4.1.2', '5.2.1'], 3, 1)).toEqual(['4.1.1', '4.1.2']);
    expect(didYouMean('进读', ['进度', '任务'], 2, 1)).toEqual(['进度']);
  });
});

describe('interpretReply', () => {
  it('a sentence with 完成 inside is a note, not a claim', () => {
    expect(interpretReply('已完成排查，形成整治方案')).toMatchObject({ done: false, percent: null, same: false });
  });
  it('bare 完成 and "已完成。" claim completion; 80% sets the percent', () => {
    expect(interpretReply('完成').done).toBe(true);
    expect(interpretReply('已完成。').done).toBe(true);
    expect(interpretReply('已完成，方案已印发').done).toBe(true);
    expect(interpretReply('目前 80% 了').percent).toBe(80);
    expect(interpretReply('８０％').percent).toBe(80);
    expect(interpretReply('无变化').same).toBe(true);
    expect(interpretReply('PM2.5 降了').percent).toBeNull();
  });
});
