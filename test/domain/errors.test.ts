// The error and result vocabulary: every error class is a DubanError with its own stable code, messages unchanged;
// the CLI edge branches on the code; Result's helpers build the one shape.
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DubanError, ERROR_CODES, describeError, errorCode, isDubanError, type ErrorCode } from '../../src/domain/errors.js';
import { err, ok, type Result } from '../../src/domain/result.js';
import { ACCEPTED_DEADLINE_FORMS, DeadlineTextError } from '../../src/domain/deadline-text.js';
import { PlanValidationError } from '../../src/plans/load.js';
import { BoardInputError } from '../../src/board/data.js';
import { DecryptError, decryptLarkPayload } from '../../src/lark/crypto.js';
import { offlineContactDirectory } from '../../src/lark/contact.js';
import { ContactDirectoryUnavailable } from '../../src/ports.js';
import { HttpError } from '../../src/lark/messenger.js';
import { StoredCardError, wireContent } from '../../src/cards/stored-card.js';
import { ConfigError, parseConfig } from '../../src/config.js';
import { BackupError } from '../../src/cli/backup.js';
import { CliUsageError, type CliCommand } from '../../src/cli/types.js';
import { ImportFileError } from '../../src/import/types.js';
import { PolicyError } from '../../src/db/policy-store.js';
import { DatabaseOpenError } from '../../src/db/node.js';
import { PlanLiveError } from '../../src/db/plan-live-store.js';
import { parseViewFilter } from '../../src/domain/view-filter.js';
import { runCli } from '../../src/cli.js';

interface Row {
  cls: abstract new (...args: never[]) => Error;
  make: () => Error;
  code: ErrorCode;
  message: string;
  hint?: RegExp;
}

const rows: Row[] = [
  {
    cls: ConfigError,
    make: () => new ConfigError([{ key: 'PORT', message: '必须是整数' }]),
    code: 'config_invalid',
    message: '配置有误 / invalid configuration:\n  - PORT: 必须是整数\n请修正以上环境变量后重新启动（见 README 的“配置”一节）。',
  },
  {
    cls: DatabaseOpenError,
    make: () => new DatabaseOpenError('无法打开数据库 x.db'),
    code: 'database_open_failed',
    message: '无法打开数据库 x.db',
  },
  {
    cls: PlanValidationError,
    make: () => new PlanValidationError(['任务 1.1 缺少标题', '单位“某局”不存在']),
    code: 'plan_invalid',
    message: '计划文件有误，未写入任何数据：\n  - 任务 1.1 缺少标题\n  - 单位“某局”不存在',
    hint: /改正/,
  },
  { cls: PlanLiveError, make: () => new PlanLiveError('数据库中还没有计划'), code: 'plan_live', message: '数据库中还没有计划' },
  { cls: ImportFileError, make: () => new ImportFileError('找不到文件：a.xlsx'), code: 'import_file', message: '找不到文件：a.xlsx' },
  {
    cls: DeadlineTextError,
    make: () => new DeadlineTextError('明年', '不是时限写法'),
    code: 'deadline_unparseable',
    message: `无法识别完成时限“明年”（不是时限写法）。可用写法：${ACCEPTED_DEADLINE_FORMS}`,
  },
  { cls: PolicyError, make: () => new PolicyError('提醒策略无效：x'), code: 'policy_invalid', message: '提醒策略无效：x' },
  { cls: BackupError, make: () => new BackupError('备份文件已存在：b.db'), code: 'backup_failed', message: '备份文件已存在：b.db' },
  { cls: CliUsageError, make: () => new CliUsageError('多余的参数：x'), code: 'cli_usage', message: '多余的参数：x' },
  { cls: BoardInputError, make: () => new BoardInputError('没有第「9」章。', 400), code: 'board_input', message: '没有第「9」章。' },
  {
    cls: DecryptError,
    make: () => new DecryptError('ciphertext has a bad length'),
    code: 'decrypt_failed',
    message: 'ciphertext has a bad length',
    hint: /LARK_ENCRYPT_KEY/,
  },
  {
    cls: ContactDirectoryUnavailable,
    make: () => new ContactDirectoryUnavailable('未配置飞书凭据'),
    code: 'contact_directory_unavailable',
    message: '未配置飞书凭据',
  },
  {
    cls: StoredCardError,
    make: () => new StoredCardError('卡片内容不是有效的 JSON'),
    code: 'stored_card_invalid',
    message: '卡片内容不是有效的 JSON',
    hint: /未送达/,
  },
  { cls: HttpError, make: () => new HttpError('HTTP 502 from /x'), code: 'lark_http', message: 'HTTP 502 from /x' },
];

describe('every error class is a DubanError with its code', () => {
  it.each(rows.map((r) => [r.cls.name, r] as const))('%s', (name, r) => {
    const e = r.make();
    expect(e).toBeInstanceOf(r.cls);
    expect(e).toBeInstanceOf(DubanError);
    expect(e).toBeInstanceOf(Error);
    expect(isDubanError(e)).toBe(true);
    expect(errorCode(e)).toBe(r.code);
    expect((e as DubanError).code).toBe(r.code);
    expect(e.message).toBe(r.message);
    expect(e.name).toBe(name);
    if (r.hint) {
      expect((e as DubanError).hint).toMatch(r.hint);
      expect(describeError(e as DubanError)).toBe(`${r.message}\n${(e as DubanError).hint}`);
    } else {
      expect((e as DubanError).hint).toBeUndefined();
      expect(describeError(e as DubanError)).toBe(r.message);
    }
  });

  it('every code belongs to exactly one class, and every code is used', () => {
    const codes = rows.map((r) => r.code);
    expect(new Set(codes).size).toBe(codes.length);
    expect([...codes].sort()).toEqual([...ERROR_CODES].sort());
  });

  it('constructor extras stay where callers read them', () => {
    expect(new PlanValidationError(['a']).issues).toEqual(['a']);
    expect(new ConfigError([{ key: 'K', message: 'm' }]).issues).toEqual([{ key: 'K', message: 'm' }]);
    expect(new BoardInputError('x', 403).status).toBe(403);
    expect(new DeadlineTextError('t', 'r')).toMatchObject({ text: 't', reason: 'r' });
    expect(new HttpError('h', { status: 500, data: {}, headers: {} }).response?.status).toBe(500);
    expect(new DubanError('plan_live', 'x', { cause: 'why' }).cause).toBe('why');
  });

  it('every class in src that extends Error directly is DubanError (one vocabulary)', () => {
    const direct: string[] = [];
    const walk = (dir: string) => {
      for (const f of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, f.name);
        if (f.isDirectory()) walk(p);
        else if (/\.tsx?$/.test(f.name))
          for (const m of fs.readFileSync(p, 'utf8').matchAll(/class (\w+) extends Error\b/g)) direct.push(`${p}: ${m[1]}`);
      }
    };
    walk('src');
    expect(direct).toEqual([path.join('src', 'domain', 'errors.ts') + ': DubanError']);
  });
});

describe('errors thrown by the real code carry their code', () => {
  it.each<[string, () => unknown, ErrorCode]>([
    ['an invalid PORT', () => parseConfig({ PORT: 'abc' }), 'config_invalid'],
    ['a ciphertext that is not base64', () => decryptLarkPayload('k', '%%%'), 'decrypt_failed'],
    ['a stored card that is not JSON', () => wireContent('{"$card": nope'), 'stored_card_invalid'],
    ['a stored card of an unknown template', () => wireContent('{"$card":"no-such-card","v":{}}'), 'stored_card_invalid'],
    ['a contact lookup without Feishu credentials', () => offlineContactDirectory.resolve(['a@b.cn']), 'contact_directory_unavailable'],
  ])('%s', async (_what, run, code) => {
    let caught: unknown;
    try {
      await run();
    } catch (e) {
      caught = e;
    }
    expect(errorCode(caught)).toBe(code);
  });
});

describe('isDubanError', () => {
  it.each<[string, unknown, boolean]>([
    ['a plain Error', new Error('x'), false],
    ['a Node system error', Object.assign(new Error('no such file'), { code: 'ENOENT' }), false],
    ['an error with an unknown code', Object.assign(new Error('x'), { code: 'not_a_code' }), false],
    ['an error from another copy of the module (known code)', Object.assign(new Error('x'), { code: 'plan_invalid' }), true],
    ['a plain object with a known code', { code: 'plan_invalid', message: 'x' }, false],
    ['a string', 'plan_invalid', false],
    ['null', null, false],
    ['undefined', undefined, false],
  ])('%s → %s', (_what, value, expected) => {
    expect(isDubanError(value)).toBe(expected);
    expect(errorCode(value)).toBe(expected ? 'plan_invalid' : undefined);
  });
});

describe('Result', () => {
  it('ok and err build the two shapes', () => {
    expect(ok(3)).toEqual({ ok: true, value: 3 });
    expect(err('进度应为整数')).toEqual({ ok: false, error: '进度应为整数' });
    expect(err({ code: 'not_yours' })).toEqual({ ok: false, error: { code: 'not_yours' } });
  });

  it('narrows on ok', () => {
    const half = (n: number): Result<number> => (n % 2 === 0 ? ok(n / 2) : err(`${n} 是奇数`));
    const say = (r: Result<number>) => (r.ok ? `=${r.value}` : `!${r.error}`);
    expect([4, 3].map((n) => say(half(n)))).toEqual(['=2', '!3 是奇数']);
  });

  it('a domain parser speaks it (parseViewFilter)', () => {
    expect(parseViewFilter('全部', [], [])).toEqual(ok({ kind: 'all' }));
    const r = parseViewFilter('不存在的单位', [{ id: 1, name: '市生态环境局', kind: 'department', aliases: [] }], []);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error).toMatch(/不存在的单位/);
  });
});

describe('the CLI edge branches on the code', () => {
  const run = async (thrown: unknown) => {
    const out: string[] = [];
    const errs: string[] = [];
    const cmd: CliCommand = {
      name: 'boom',
      usage: 'boom <x>',
      summary: 'throws',
      run: async () => {
        throw thrown;
      },
    };
    const code = await runCli(['boom'], {
      out: (l) => out.push(l),
      err: (l) => errs.push(l),
      env: { DATABASE_PATH: ':memory:' },
      commands: [cmd],
    });
    return { code, err: errs.join('\n') };
  };

  it('a usage error exits 2 with the usage line', async () => {
    expect(await run(new CliUsageError('多余的参数：y'))).toEqual({ code: 2, err: '多余的参数：y\n用法：npx duban boom <x>' });
  });

  it('any other DubanError exits 1 with its message and hint, as written', async () => {
    expect(await run(new PolicyError('提醒策略无效：x'))).toEqual({ code: 1, err: '提醒策略无效：x' });
    const e = new StoredCardError('卡片内容不是有效的 JSON');
    expect(await run(e)).toEqual({ code: 1, err: `卡片内容不是有效的 JSON\n${e.hint}` });
  });

  it('an unexpected error exits 1 and is said to be a failure', async () => {
    expect(await run(new Error('disk on fire'))).toEqual({ code: 1, err: '命令失败 / failed: disk on fire' });
  });
});
