import { beforeEach, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runCli } from '../../src/cli.js';
import { openNodeDatabase } from '../../src/db/node.js';
import { tasks } from '../../src/db/schema.js';
import { smallPlan } from '../fixtures/small-plan.js';
import { makeXlsx } from '../helpers/xlsx.js';

let dir: string;
let env: Record<string, string>;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'duban-cli-'));
  env = { DATABASE_PATH: path.join(dir, 'duban.db') };
});

async function cli(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, { out: (l) => out.push(l), err: (l) => err.push(l), env });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

async function taskCodes() {
  const d = openNodeDatabase(env.DATABASE_PATH!);
  try {
    return (await d.db.select({ code: tasks.code, state: tasks.state }).from(tasks)).map((t) => `${t.code}:${t.state}`).sort();
  } finally {
    d.close();
  }
}

const HEADER = ['序号', '重点任务', '牵头单位', '配合单位', '完成时限', '备注'];

describe('duban CLI: plan load, import, export', () => {
  it('help lists the commands', async () => {
    const r = await cli('help');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/import <文件> \[--dry-run\]/);
    expect(r.out).toMatch(/export \[--format xlsx\|csv\|json\] \[--out 文件\]/);
    expect(r.out).toMatch(/plan load/);
  });

  it('loads a plan, imports a revised table (dry run first), exports and re-imports with no change', async () => {
    const planFile = path.join(dir, 'plan.json');
    fs.writeFileSync(planFile, JSON.stringify(smallPlan()));
    let r = await cli('plan', 'load', planFile);
    expect(r.code).toBe(0);
    expect(r.out).toContain('新增任务 4 项：2.1.1、2.1.2、3.1.1、3.1.2');

    const xlsx = path.join(dir, '分工表.xlsx');
    fs.writeFileSync(
      xlsx,
      await makeXlsx([
        ['任务分工表'],
        HEADER,
        ['2.1.1', '完成碳达峰政策体系编制工作。', '市发改委', '市生态环境局', '2022年9月底前', null],
        ['2.1.2', '常态化编制温室气体排放清单。', '市生态环境局', null, '每年', null],
        ['3.1.1', '完善重污染天气应急预案，2022年6月底前完成排查，2023年底前完成整治。', '市生态环境局', '安定区', '2022年6月底前完成排查，2023年底前完成整治', '重点'],
      ]),
    );
    r = await cli('import', xlsx, '--dry-run');
    expect(r.code).toBe(0);
    expect(r.out).toContain('表头在第2行');
    expect(r.out).toContain('【试运行，未写入】');
    // A table holding only some tasks leaves the others; the dry run says how many --withdraw-missing would withdraw.
    expect(r.out).toContain('文件中没有的任务 1 项保持不变');
    expect(r.out).toContain('--withdraw-missing（将撤销 1 项：3.1.2）');
    expect(r.out).not.toContain('撤销任务 1 项');
    r = await cli('import', xlsx, '--dry-run', '--withdraw-missing');
    expect(r.out).toContain('撤销任务 1 项');
    expect(await taskCodes()).toEqual(['2.1.1:active', '2.1.2:active', '3.1.1:active', '3.1.2:active']);

    r = await cli('import', xlsx, '--withdraw-missing');
    expect(r.code).toBe(0);
    expect(r.out).toContain('完成时限变更 1 项：2.1.1（2022年底前 → 2022年9月底前）');
    expect(r.out).toContain('确认分工 1 条：2.1.1 市生态环境局（配合）');
    expect(await taskCodes()).toEqual(['2.1.1:active', '2.1.2:active', '3.1.1:active', '3.1.2:withdrawn']);

    for (const format of ['xlsx', 'csv', 'json']) {
      const file = path.join(dir, `台账.${format}`);
      r = await cli('export', '--format', format, '--out', file);
      expect(r.code).toBe(0);
      expect(r.out).toContain('3 项任务');
      r = await cli('import', file);
      expect(r.code).toBe(0);
      expect(r.out).toContain('没有变化');
    }

    r = await cli('export', '--format', 'csv', '--out', '-', '--at', '2022-06-30');
    expect(r.out.split('\n')[0]).toBe('\uFEFF《测试实施意见》任务台账　　制表日期：2022年6月30日\r');
    expect(r.out.split('\n')[1]).toBe('序号,篇章,标题,任务,牵头单位,配合单位,完成时限,备注,状态,进度(%),最新进展,最新报送时间\r');
    r = await cli('export', '--format', 'csv', '--out', '-', '--at', 'yesterday');
    expect(r.code).not.toBe(0);
    r = await cli('export', '--out', '-', '--format', 'json');
    expect(JSON.parse(r.out).rows).toHaveLength(3);
  });

  it('a bad table prints every row error, exits 1 and writes nothing', async () => {
    const planFile = path.join(dir, 'plan.json');
    fs.writeFileSync(planFile, JSON.stringify(smallPlan()));
    await cli('plan', 'load', planFile);
    const csv = path.join(dir, 'bad.csv');
    fs.writeFileSync(
      csv,
      [HEADER.join(','), '2.1.1,任务,市环保局,,2022年底前,', '2.1.2,任务,市发改委,,尽快,', ',任务,市发改委,,,'].join('\r\n'),
    );
    const r = await cli('import', csv);
    expect(r.code).toBe(1);
    expect(r.err).toContain('发现 3 处错误，未写入任何数据');
    expect(r.err).toMatch(/第2行：牵头单位“市环保局”/);
    expect(r.err).toMatch(/第3行：完成时限“尽快”/);
    expect(r.err).toMatch(/第4行：缺少任务编号/);
    expect(await taskCodes()).toEqual(['2.1.1:active', '2.1.2:active', '3.1.1:active', '3.1.2:active']);
  });

  it('file errors and usage errors', async () => {
    let r = await cli('import', path.join(dir, 'missing.xlsx'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('找不到文件');
    fs.writeFileSync(path.join(dir, 'corrupt.xlsx'), 'garbage');
    r = await cli('import', path.join(dir, 'corrupt.xlsx'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('无法读取 Excel 文件');
    r = await cli('import');
    expect(r.code).toBe(2);
    expect(r.err).toContain('用法：npx duban import');
    r = await cli('export', '--format', 'pdf');
    expect(r.code).toBe(2);
    r = await cli('export', '--out', '-');
    expect(r.code).toBe(2);
    r = await cli('export', '--format', 'csv', '--out', path.join(dir, 'x.csv'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('数据库中还没有计划');
    r = await cli('plan', 'load', path.join(dir, 'nope.json'));
    expect(r.code).toBe(1);
  });

  it('export without --out writes ./duban-台账-YYYYMMDD.xlsx (Shanghai date)', async () => {
    await cli('plan', 'load');
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      const out: string[] = [];
      const code = await runCli(['export'], { out: (l) => out.push(l), err: (l) => out.push(l), env: { DATABASE_PATH: env.DATABASE_PATH! } });
      expect(code).toBe(0);
      const name = fs.readdirSync(dir).find((f) => f.startsWith('duban-台账-'));
      expect(name).toMatch(/^duban-台账-\d{8}\.xlsx$/);
      expect(fs.readFileSync(path.join(dir, name!)).subarray(0, 2).toString()).toBe('PK');
    } finally {
      process.chdir(cwd);
    }
  });

  it('plan load without a file loads the bundled plan', async () => {
    const r = await cli('plan', 'load');
    expect(r.code).toBe(0);
    expect(r.out).toContain('新建');
    const again = await cli('plan', 'load');
    expect(again.out).toContain('没有变化');
  });
});
