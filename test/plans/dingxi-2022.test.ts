// Checks the hand-extracted Dingxi 2022 plan file against the plan text's structure, dates and targets.
import { describe, expect, it } from 'vitest';
import fs from 'node:fs';
import { planFile, type PlanFile, type TaskSpec } from '../../src/domain/plan-file.js';

const raw: unknown = JSON.parse(
  fs.readFileSync(new URL('../../src/plans/dingxi-2022.json', import.meta.url), 'utf8'),
);
const plan: PlanFile = planFile.parse(raw);

const COUNTIES = ['安定区', '通渭县', '陇西县', '渭源县', '临洮县', '漳县', '岷县'];

// Chapters 二..八 and their numbered sections, as written in the plan text.
const EXPECTED: Array<[number, string, string[]]> = [
  [2, '减污降碳', [
    '深入实施碳达峰行动', '推动能源清洁低碳转型', '坚决遏制高耗能高排放项目盲目发展',
    '推进清洁生产和能源资源节约高效利用', '强化生态环境分区管控', '稳步推动绿色环保产业发展',
    '加快形成绿色低碳生活方式',
  ]],
  [3, '蓝天', [
    '深入打好秋冬季大气污染防治攻坚战', '着力打好臭氧污染防治攻坚战', '持续打好柴油货车污染治理攻坚战',
    '加强大气面源和噪声污染治理',
  ]],
  [4, '碧水', [
    '持续打好城市黑臭水体治理攻坚战', '着力打好黄河生态保护治理攻坚战', '重点打好饮用水安全保障保卫战',
    '“三水”统筹做好重点流域水生态环境保护', '加强城市再生水循环利用', '深化水岸污染协同治理',
  ]],
  [5, '净土', [
    '持续打好农业农村污染治理攻坚战', '深入推进农用地土壤污染防治和安全利用', '有效管控建设用地土壤污染风险',
    '加强固体废物和新污染物治理', '强化地下水污染协同防治',
  ]],
  [6, '生态', [
    '巩固提升重点区域生态系统质量', '加强生物多样性保护', '强化生态保护监管', '强化核与辐射监管',
    '严密防控环境安全风险',
  ]],
  [7, '基础', [
    '全面强化生态环境法治保障', '健全生态环境经济政策', '完善生态环境资金投入机制', '实施环境基础设施补短板行动',
    '提升生态环境监管执法效能', '建立完善现代化生态环境监测体系', '构建服务型科技创新体系',
  ]],
  [8, '保障', ['强化组织保障', '强化责任落实', '强化监督考核', '强化宣传引导', '强化队伍建设']],
];

/** Every unit spelling (name or alias) mapped to the unit's canonical name. */
function indexUnits(p: PlanFile): Map<string, string> {
  const index = new Map<string, string>();
  for (const u of p.units) for (const n of [u.name, ...u.aliases]) index.set(n, u.name);
  return index;
}
const unitIndex = indexUnits(plan);

function assignedUnits(task: TaskSpec): Set<string> {
  return new Set(task.assignments.map((a) => unitIndex.get(a.unit) ?? `?${a.unit}`));
}

function taskByCode(code: string): TaskSpec {
  const t = plan.tasks.find((x) => x.code === code);
  if (!t) throw new Error(`no task ${code}`);
  return t;
}

/** Dates written in a task's text ("2022年6月底前", "到2025年") that none of its deadlines carries. */
function findMissingDates(task: TaskSpec): string[] {
  const missing: string[] = [];
  for (const m of task.text.matchAll(/(20\d\d)年(?:(\d{1,2})月)?/g)) {
    const year = m[1]!;
    const month = m[2] ? m[2].padStart(2, '0') : undefined;
    const hit = task.deadlines.some(
      (d) => d.dueDate?.startsWith(year) && (month === undefined || d.dueDate.slice(5, 7) === month),
    );
    if (!hit) missing.push(m[0]);
  }
  return missing;
}

/** County names (by name or alias) that occur in a task's text. */
function countiesNamedIn(text: string): string[] {
  return plan.units
    .filter((u) => u.kind === 'county' && [u.name, ...u.aliases].some((n) => text.includes(n)))
    .map((u) => u.name);
}

describe('dingxi-2022 plan file', () => {
  it('has the plan header', () => {
    expect(plan.code).toBe('dingxi-2022');
    expect(plan.title).toBe('定西市关于深入打好污染防治攻坚战的实施意见');
    expect(plan.issuer).toBe('定西市人民政府');
    expect(plan.source).toBeTruthy();
  });

  it('has every chapter 二..八 and every section, numbered in order, each with a task', () => {
    expect(plan.chapters.map((c) => c.number)).toEqual(EXPECTED.map(([n]) => n));
    for (const [number, short, titles] of EXPECTED) {
      const ch = plan.chapters.find((c) => c.number === number)!;
      expect(ch.short).toBe(short);
      expect(ch.sections).toEqual(titles.map((title, i) => ({ number: i + 1, title })));
      for (let s = 1; s <= titles.length; s++) {
        const tasks = plan.tasks.filter((t) => t.code.startsWith(`${number}.${s}.`));
        expect(tasks.length, `section ${number}.${s} has no task`).toBeGreaterThan(0);
      }
    }
    // 二(一) … 八(五): 7 + 4 + 6 + 5 + 5 + 7 + 5 sections.
    expect(plan.chapters.flatMap((c) => c.sections)).toHaveLength(39);
  });

  it('splits the plan into roughly as many tasks as its ~162 key tasks', () => {
    expect(plan.tasks.length).toBeGreaterThanOrEqual(130);
    expect(plan.tasks.length).toBeLessThanOrEqual(200);
  });

  it('uses unique, well-formed codes numbered 1..n within each section in reading order', () => {
    const codes = plan.tasks.map((t) => t.code);
    expect(new Set(codes).size).toBe(codes.length);
    const next = new Map<string, number>();
    for (const t of plan.tasks) {
      const m = /^([2-8])\.(\d+)\.(\d+)$/.exec(t.code);
      expect(m, t.code).not.toBeNull();
      const [, c, s, n] = m!;
      const ch = plan.chapters.find((x) => x.number === Number(c));
      expect(ch?.sections.some((x) => x.number === Number(s)), `${t.code}: no such section`).toBe(true);
      const key = `${c}.${s}`;
      const expected = (next.get(key) ?? 0) + 1;
      expect(Number(n), `${t.code} out of sequence`).toBe(expected);
      next.set(key, expected);
    }
  });

  it('gives every task a short title, its own text and at least one deadline', () => {
    for (const t of plan.tasks) {
      expect([...t.title].length, t.code).toBeLessThanOrEqual(30);
      expect(t.text.length, t.code).toBeGreaterThan(t.title.length / 2);
      expect(t.deadlines.length, `${t.code} has no deadline`).toBeGreaterThan(0);
    }
  });

  it('has unambiguous unit names and aliases', () => {
    const all = plan.units.flatMap((u) => [u.name, ...u.aliases]);
    expect(new Set(all).size).toBe(all.length);
    expect(plan.units.filter((u) => u.kind === 'county').map((u) => u.name).sort()).toEqual([...COUNTIES].sort());
    const office = plan.units.find((u) => u.kind === 'office');
    expect(office?.name).toBe('市生态环境保护委员会办公室');
    expect(office?.aliases).toEqual(expect.arrayContaining(['市生态委办', '生态委办']));
  });

  it('assigns every task to known units with exactly one proposed lead', () => {
    for (const t of plan.tasks) {
      expect(t.assignments.length, `${t.code} unassigned`).toBeGreaterThan(0);
      for (const a of t.assignments) expect(unitIndex.has(a.unit), `${t.code}: unknown unit ${a.unit}`).toBe(true);
      expect(t.assignments.filter((a) => a.role === 'lead'), t.code).toHaveLength(1);
      expect(t.assignments.every((a) => a.proposed), t.code).toBe(true);
      const units = t.assignments.map((a) => unitIndex.get(a.unit));
      expect(new Set(units).size, `${t.code}: unit assigned twice`).toBe(units.length);
    }
  });

  it('assigns every county named in a task to that task', () => {
    for (const t of plan.tasks) {
      const assigned = assignedUnits(t);
      for (const county of countiesNamedIn(t.text)) {
        expect(assigned.has(county), `${t.code} names ${county} but does not assign it`).toBe(true);
      }
    }
    // The detector itself must see counties named by short alias.
    expect(countiesNamedIn(taskByCode('5.4.1').text)).toEqual(['陇西县', '临洮县']);
  });

  it('reflects every date written in a task text in its deadlines', () => {
    for (const t of plan.tasks) expect(findMissingDates(t), t.code).toEqual([]);
    // The cross-check must catch a date that no deadline carries.
    const bad: TaskSpec = {
      code: '9.9.9', title: 'x', text: '2022年6月底前完成排查', assignments: [],
      deadlines: [{ kind: 'year_end', dueDate: '2022-12-31', label: '2022年底前' }],
    };
    expect(findMissingDates(bad)).toEqual(['2022年6月']);
  });

  it('uses the right deadline kind for each wording', () => {
    for (const t of plan.tasks) {
      for (const d of t.deadlines) {
        if (d.kind === 'month_end') expect(d.dueDate!.slice(5), t.code).toMatch(/^(01-31|02-2[89]|03-31|04-30|05-31|06-30|07-31|08-31|09-30|10-31|11-30|12-31)$/);
        if (d.kind === 'year_end' || d.kind === 'target_year') expect(d.dueDate!.slice(5), t.code).toBe('12-31');
        if (d.kind === 'year_end') expect(d.label, t.code).toMatch(/年(年)?底前$/);
        if (d.kind === 'target_year') expect(d.label, t.code).toMatch(/^到20\d\d年$/);
      }
      if (/年底前/.test(t.text)) expect(t.deadlines.some((d) => d.kind === 'year_end'), t.code).toBe(true);
      if (/每年/.test(t.text)) {
        expect(t.deadlines.some((d) => d.kind === 'recurring' && d.recurrence === 'annual'), t.code).toBe(true);
      }
    }
  });

  it('has the June 2022 county-level black-odorous-water survey as its own task for all seven counties', () => {
    const survey = plan.tasks.filter((t) => t.code.startsWith('4.1.') && t.text.includes('黑臭水体排查'));
    expect(survey).toHaveLength(1);
    const t = survey[0]!;
    expect(t.deadlines).toEqual([expect.objectContaining({ kind: 'month_end', dueDate: '2022-06-30', label: '2022年6月底前' })]);
    const assigned = assignedUnits(t);
    for (const c of COUNTIES) expect(assigned.has(c), c).toBe(true);
    expect(t.assignments.find((a) => a.role === 'lead')?.unit).toBe('市住房和城乡建设局');
  });

  it('has the end-2022 soil, solid-waste and groundwater surveys and the 2023 emergency depot', () => {
    const dated = (needle: string, due: string) =>
      plan.tasks.filter((t) => t.text.includes(needle) && t.deadlines.some((d) => d.dueDate === due));
    expect(dated('土壤污染状况调查', '2022-12-31').map((t) => t.code)).toEqual(['5.3.5']);
    expect(dated('地下水环境状况调查', '2022-12-31').map((t) => t.code)).toEqual(['5.5.2']);
    expect(dated('矿区历史遗留固体废物首批排查', '2022-12-31').map((t) => t.code)).toEqual(['5.2.2']);
    expect(dated('危险废物利用处置能力', '2022-12-31').map((t) => t.code)).toEqual(['7.4.5']);
    const depot = dated('环境应急物资库', '2023-12-31');
    expect(depot.map((t) => t.code)).toEqual(['6.5.7']);
    expect(depot[0]!.deadlines[0]).toMatchObject({ kind: 'year_end', label: '2023年底前' });
  });

  it('has the county annual report as a recurring duty', () => {
    const t = plan.tasks.find((x) => x.text.includes('每年向市委市政府报告'))!;
    expect(t.deadlines).toEqual([expect.objectContaining({ kind: 'recurring', recurrence: 'annual' })]);
    for (const c of COUNTIES) expect(assignedUnits(t).has(c)).toBe(true);
  });

  describe('targets', () => {
    const target = (code: string) => {
      const t = plan.targets.find((x) => x.code === code);
      if (!t) throw new Error(`no target ${code}`);
      return t;
    };

    it('have unique codes and link to existing tasks', () => {
      const codes = plan.targets.map((t) => t.code);
      expect(new Set(codes).size).toBe(codes.length);
      const taskCodes = new Set(plan.tasks.map((t) => t.code));
      for (const t of plan.targets) if (t.taskCode) expect(taskCodes.has(t.taskCode), t.code).toBe(true);
    });

    it('include the 2025 air and water headline targets', () => {
      expect(target('T-PM25-2025')).toMatchObject({ comparator: '<=', value: 24, unit: 'μg/m³', year: 2025 });
      expect(target('T-PM25-2025').aliases).toEqual(expect.arrayContaining(['细颗粒物', 'PM25', 'pm2.5']));
      expect(target('T-GOODAIR-2025')).toMatchObject({ indicator: '优良天数比率', comparator: '>=', value: 98.1, unit: '%' });
      expect(target('T-WATER-NATIONAL-2025')).toMatchObject({ comparator: '>=', value: 80, unit: '%', year: 2025 });
    });

    it('include the four emission-reduction tonnages', () => {
      const tonnes = ['T-NOX-2025', 'T-VOCS-2025', 'T-COD-2025', 'T-NH3N-2025'].map((c) => target(c));
      expect(tonnes.map((t) => [t.value, t.unit, t.comparator])).toEqual([
        [1406, '吨', '>='], [400, '吨', '>='], [500, '吨', '>='], [10, '吨', '>='],
      ]);
    });

    it('include the new-energy capacities', () => {
      expect([target('T-NEWENERGY-2025').value, target('T-WIND-2025').value, target('T-PV-2025').value]).toEqual([700, 270, 500]);
      expect(target('T-WIND-2025').unit).toBe('万千瓦');
    });

    it('cover the numbers of the blue-sky, water, soil and ecology chapters', () => {
      const values = (codes: string[]) => codes.map((c) => target(c).value);
      expect(values(['T-NOISE-NIGHT-2025', 'T-RECLAIMED-2025', 'T-FARMLAND-2025'])).toEqual([85, 25, 93]);
      expect(values(['T-VILLAGE-RECTIFY-2025', 'T-TOILET-2025', 'T-RURAL-SEWAGE-2025', 'T-RURAL-WASTE-2025',
        'T-FERTILIZER-2025', 'T-FILM-2025', 'T-MANURE-2025'])).toEqual([160, 80, 13.8, 80, 43, 85, 80]);
      expect(values(['T-FOREST-2025', 'T-GRASS-2025', 'T-WETLAND-2025'])).toEqual([12.5, 80, 8.4]);
      expect(target('T-WETLAND-2025').comparator).toBe('>');
      expect(values(['T-TAOHE-2025', 'T-WEIHE-2025', 'T-GUANCHUANHE-2025'])).toEqual([2, 3, 5]);
    });

    it('quote the plan wording that carries their number', () => {
      for (const t of plan.targets) {
        expect(t.sourceText, t.code).toBeTruthy();
        // Class targets (Ⅱ类…), "全面…" (100%) and "不发生" (0 days) carry no digits of their own.
        const wordOnly = t.unit?.includes('类') || t.value === 100 || t.value === 0;
        if (!wordOnly) expect(t.sourceText, t.code).toContain(String(t.value));
      }
    });
  });
});
