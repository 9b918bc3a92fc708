// The latest-value rule for targets (city-wide reports only; counties per county) and the shared value formatting.
import { describe, expect, it } from 'vitest';
import { formatMetricAmount, metricWhenZh, pickLatestMetrics, type MetricReportRow } from '../../src/domain/metric-value.js';

const row = (id: number, over: Partial<MetricReportRow>): MetricReportRow => ({
  id, targetId: 1, value: 0, valueText: null, period: null, unitId: null, county: false, createdAt: 1000, ...over,
});

describe('pickLatestMetrics', () => {
  it('takes the city value only from reports that are not for a county, however recent a county report is', () => {
    const m = pickLatestMetrics([
      row(1, { value: 22, createdAt: 1000 }), // office, no unit
      row(2, { value: 23, unitId: 5, county: false, createdAt: 2000 }), // a city department
      row(3, { value: 85, unitId: 9, county: true, createdAt: 3000 }), // 安定区
      row(4, { value: 80, unitId: 7, county: true, createdAt: 2500 }),
      row(5, { value: 70, unitId: 9, county: true, createdAt: 1500 }),
    ]).get(1)!;
    expect(m.city?.id).toBe(2);
    expect(m.counties.map((c) => [c.unitId, c.value])).toEqual([[7, 80], [9, 85]]);
  });
  it('has no city value when only counties reported, and breaks ties on the same instant by the later id', () => {
    expect(pickLatestMetrics([row(1, { unitId: 9, county: true })]).get(1)!.city).toBeNull();
    expect(pickLatestMetrics([row(2, { value: 1 }), row(3, { value: 2 })]).get(1)!.city!.value).toBe(2);
    expect(pickLatestMetrics([row(3, { value: 2 }), row(2, { value: 1 })]).get(1)!.city!.value).toBe(2);
  });
});

describe('formatMetricAmount and metricWhenZh', () => {
  it('shows classes as Ⅱ类, percentages and other units the one way', () => {
    expect(formatMetricAmount(3, '类（Ⅱ类）')).toBe('Ⅲ类');
    expect(formatMetricAmount(2, '类')).toBe('Ⅱ类');
    expect(formatMetricAmount(85, '%')).toBe('85%');
    expect(formatMetricAmount(22, 'μg/m³')).toBe('22 μg/m³');
    expect(formatMetricAmount(12, null)).toBe('12');
  });
  it('names the period a value is for, else the report day', () => {
    const at = Date.parse('2022-08-03T02:00:00Z');
    expect(metricWhenZh({ at, period: '2022-07' }, 2022)).toBe('2022年7月');
    expect(metricWhenZh({ at, period: '2022-Q2' })).toBe('2022年第2季度');
    expect(metricWhenZh({ at, period: null }, 2022)).toBe('8月3日');
    expect(metricWhenZh({ at })).toBe('2022年8月3日');
  });
});
