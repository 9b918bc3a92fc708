import { describe, expect, it } from 'vitest';
import {
  renderProgressRequestCard, renderReminderCard, type ProgressRequestCardInput, type ReminderCardInput,
} from '../../src/cards/reminder-card.js';
import { storedCard, StoredCardError, wireContent } from '../../src/cards/stored-card.js';
import { shanghaiInstant } from '../../src/domain/dates.js';

const now = shanghaiInstant('2022-06-16', '09:30');
const reminder: ReminderCardInput = {
  assignmentId: 12, taskCode: '4.1.1', taskTitle: '完成县级城市建成区黑臭水体排查', unitName: '安定区', step: 'before',
  urgency: 'soon', dueLabel: '2022年6月底前', dueDate: '2022-06-30', daysLeft: 14, offset: 10, percent: 40,
  lastReportAt: shanghaiInstant('2022-06-01', '10:00'), now,
};
const progress: ProgressRequestCardInput = {
  unitName: '通渭县', period: '2022-07', part: '(1/2)', now,
  items: [
    { assignmentId: 3, taskCode: '2.1.4', taskTitle: '持续推进秸秆综合利用', percent: 0, lastReportAt: null },
    { assignmentId: 4, taskCode: '2.1.5', taskTitle: '加强扬尘管控', percent: 60, lastReportAt: now - 86_400_000 },
  ],
};
const stored = (c: Record<string, unknown>) => JSON.stringify(c);

describe('cards stored as their input', () => {
  it('renders to exactly the card the renderer makes, from a fraction of its size', () => {
    const r = stored(storedCard('reminder', reminder));
    expect(wireContent(r)).toBe(JSON.stringify(renderReminderCard(reminder)));
    expect(r.length * 3).toBeLessThan(wireContent(r).length);
    const p = stored(storedCard('progress_request', progress));
    expect(wireContent(p)).toBe(JSON.stringify(renderProgressRequestCard(progress)));
    const card = JSON.parse(wireContent(p));
    expect(card.header.title.content).toBe('进度报送：2022年7月 (1/2)');
  });

  it('leaves every other content as stored', () => {
    for (const c of ['{"text":"已记录"}', '{"schema":"2.0","body":{"elements":[]}}', '{"zh_cn":{"content":[]}}', 'not json']) {
      expect(wireContent(c)).toBe(c);
    }
  });

  it('refuses what it cannot render with a reason, never a half card', () => {
    expect(() => wireContent('{"$card":"digest","v":{}}')).toThrow(/未知的卡片模板 "digest"/);
    expect(() => wireContent('{"$card":"toString","v":{}}')).toThrow(StoredCardError);
    expect(() => wireContent('{"$card":"reminder","v":')).toThrow(/不是有效的 JSON/);
    const { taskTitle: _dropped, ...partial } = reminder;
    expect(() => wireContent(stored({ $card: 'reminder', v: partial }))).toThrow(/数据不完整：taskTitle/);
    expect(() => wireContent(stored({ $card: 'progress_request', v: { ...progress, items: [] } }))).toThrow(/items/);
  });
});
