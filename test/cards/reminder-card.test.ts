import { describe, expect, it } from 'vitest';
import { renderReminderCard, type ReminderCardInput } from '../../src/cards/reminder-card.js';
import { shanghaiInstant } from '../../src/domain/dates.js';

const base: ReminderCardInput = {
  assignmentId: 12, taskCode: '4.1.3', taskTitle: '完成县级城市建成区黑臭水体排查', unitName: '安定区',
  step: 'before', urgency: 'normal', dueLabel: '2022年6月底前', dueDate: '2022-06-30', daysLeft: 14, offset: 10,
  percent: 30, lastReportAt: shanghaiInstant('2022-06-10', '15:00'), now: shanghaiInstant('2022-06-16', '09:30'),
};

function buttons(card: Record<string, unknown>) {
  const body = card.body as { elements: Array<{ tag: string; columns?: Array<{ elements: Array<{ text: { content: string }; behaviors: Array<{ value: unknown }> }> }> }> };
  const set = body.elements.find((e) => e.tag === 'column_set')!;
  return set.columns!.map((c) => [c.elements[0]!.text.content, c.elements[0]!.behaviors[0]!.value]);
}

describe('renderReminderCard', () => {
  it('is a JSON 2.0 card with the task, unit, deadline, progress and last report', () => {
    const card = renderReminderCard(base);
    expect(card.schema).toBe('2.0');
    expect(card.header).toEqual({ title: { tag: 'plain_text', content: '督办提醒：距截止还有 10 个工作日' }, template: 'blue' });
    const text = JSON.stringify(card);
    for (const s of ['4.1.3 完成县级城市建成区黑臭水体排查', '安定区', '6月30日（2022年6月底前）', '剩余**：14 天', '30%', '6月10日', '也可直接回复本消息，例如：80% 已完成排查'])
      expect(text).toContain(s);
  });
  it('carries the four buttons with the callback values the card handler expects', () => {
    expect(buttons(renderReminderCard(base))).toEqual([
      ['报送进度', { a: 'progress_form', asg: 12 }],
      ['无变化', { a: 'same', asg: 12 }],
      ['已完成', { a: 'done', asg: 12 }],
      ['申请延期', { a: 'extend_form', asg: 12 }],
    ]);
  });
  it('turns orange near the deadline and red when overdue, saying so', () => {
    expect((renderReminderCard({ ...base, step: 'due', urgency: 'soon', daysLeft: 0 }).header as { template: string }).template).toBe('orange');
    const red = renderReminderCard({ ...base, step: 'after', urgency: 'overdue', daysLeft: -5, offset: 1, escalationLevel: 2, lastReportAt: null });
    expect(red.header).toMatchObject({ template: 'red', title: { content: '逾期提醒：已逾期 5 天' } });
    const text = JSON.stringify(red);
    expect(text).toContain('已逾期**：5 天');
    expect(text).toContain('尚未报送');
    expect(text).toContain('已报告督办办公室');
  });
  it('asks an ongoing duty for this period’s progress', () => {
    const card = renderReminderCard({ ...base, step: 'periodic', dueDate: null, daysLeft: null, period: '2022-07', dueLabel: null });
    expect((card.header as { title: { content: string } }).title.content).toBe('进度报送：2022年7月');
    expect(JSON.stringify(card)).toContain('长期坚持');
  });
});

describe('renderProgressRequestCard', () => {
  it('lists a unit’s standing duties with per-task buttons', async () => {
    const { renderProgressRequestCard } = await import('../../src/cards/reminder-card.js');
    const card = renderProgressRequestCard({
      unitName: '安定区', period: '2022-07', part: '(1/2)', now: base.now,
      items: [
        { assignmentId: 3, taskCode: '4.1.5', taskTitle: '推进县级城市建成区黑臭水体整治', percent: 20, lastReportAt: null },
        { assignmentId: 4, taskCode: '5.1.3', taskTitle: '开展农村黑臭水体排查和治理', percent: 50, lastReportAt: base.lastReportAt },
      ],
    });
    expect(card.header).toMatchObject({ template: 'blue', title: { content: '进度报送：2022年7月 (1/2)' } });
    const text = JSON.stringify(card);
    expect(text).toContain('请报送以下 2 项');
    expect(text).toContain('{"a":"progress_form","asg":3}');
    expect(text).toContain('{"a":"same","asg":4}');
    expect(text).toContain('最近报送 6月10日');
    expect(text).toContain('例如：4.1.5 80%');
  });
});
