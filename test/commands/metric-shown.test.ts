// How a reported 指标 value is echoed back: the unit once, where people would write it.
import { describe, expect, it } from 'vitest';
import { shownValue } from '../../src/commands/metric-commands.js';

describe('shownValue', () => {
  it.each([
    ['85', '%', '85%'],
    ['85%', '%', '85%'],
    ['80%以上', '%', '80%以上'],
    ['98.1%以上', '%', '98.1%以上'],
    ['24以下', 'μg/m³', '24μg/m³以下'],
    ['22μg/m³', 'μg/m³', '22μg/m³'],
    ['22', 'μg/m³', '22μg/m³'],
    ['160个', '个', '160个'],
    ['13.8%左右', '%', '13.8%左右'],
    ['12', null, '12'],
    ['85%', '个', '85%'],
  ])('%s with unit %s → %s', (text, unit, shown) => {
    expect(shownValue(text, unit)).toBe(shown);
  });
});
