// Configuration: one zod schema over an environment-like record; one error that lists every bad key.
import { z } from 'zod';
import { DubanError } from './domain/errors.js';

/**
 * Freshness window for X-Lark-Request-Timestamp. Feishu re-pushes an unacknowledged event 15 s, 5 min, 1 h and 6 h
 * after the first try (~7.1 h in all) and does not say whether a re-push is signed afresh; no official SDK applies
 * a window at all. 12 h never refuses one of Feishu's own re-pushes, even with its first timestamp and a clock off by
 * a few minutes; replays inside the window are stopped by the de-dup rows in the database (src/lark/verify.ts).
 */
export const DEFAULT_TIMESTAMP_TOLERANCE_SECONDS = 12 * 3600;
/** The configured window is capped so that the de-dup rows always outlive it (config refuses larger values). */
export const MAX_TIMESTAMP_TOLERANCE_SECONDS = 24 * 3600;

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', ''])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const csv = z.string().transform((v) =>
  v
    .split(/[,，\s]+/)
    .map((s) => s.trim())
    .filter(Boolean),
);

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '应为 HH:MM，例如 09:00');

const schema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  DATABASE_PATH: z.string().min(1).default('./data/duban.db'),
  LARK_APP_ID: z.string().default(''),
  LARK_APP_SECRET: z.string().default(''),
  LARK_BASE_URL: z.string().url('应为完整网址，例如 https://open.feishu.cn').default('https://open.feishu.cn'),
  LARK_VERIFICATION_TOKEN: z.string().default(''),
  LARK_ENCRYPT_KEY: z.string().default(''),
  /** The bot's own open_id: its @mention is removed from incoming text (see src/lark/normalize.ts). Optional. */
  LARK_BOT_OPEN_ID: z.string().default(''),
  /**
   * Freshness window of X-Lark-Request-Timestamp on signed requests (seconds either way). Default 12 h: Feishu's own
   * re-pushes come up to ~7.1 h after the first try and may keep its timestamp; replays inside the window are stopped
   * by the de-dup rows, which outlive it (src/lark/verify.ts). At most 24 h.
   */
  LARK_TIMESTAMP_TOLERANCE_SECONDS: z.coerce
    .number()
    .int()
    .min(60, '至少 60 秒')
    .max(MAX_TIMESTAMP_TOLERANCE_SECONDS, `最多 ${MAX_TIMESTAMP_TOLERANCE_SECONDS} 秒（24 小时）`)
    .default(DEFAULT_TIMESTAMP_TOLERANCE_SECONDS),
  OFFICE_OPEN_IDS: csv.default([]),
  ADMIN_TOKEN: z.string().default(''),
  WORK_DAY_START: hhmm.default('09:00'),
  WORK_DAY_END: hhmm.default('18:00'),
  /** Load the bundled plan when the database holds no plan. */
  PLAN_AUTOLOAD: bool.default(true),
  /** Run the scheduler and outbox sender in-process (Node). */
  SCHEDULER_ENABLED: bool.default(true),
  /**
   * The service's public https address as users reach it (e.g. https://duban.example.gov.cn): the `看板` links and
   * the Feishu login redirect are built on it. Empty: `看板` says the board is not set up.
   */
  PUBLIC_BASE_URL: z
    .string()
    .url('应为完整网址，例如 https://duban.example.gov.cn')
    .transform((v) => v.replace(/\/+$/, ''))
    .default(''),
  /**
   * HMAC key for board links and session cookies (at least 32 characters). Empty: a random key is generated once
   * and kept in the database (settings 'board.secret'), so Node and Workers work without configuration.
   */
  BOARD_SECRET: z.string().min(32, '至少 32 个字符；留空则自动生成并保存在数据库中').default(''),
  /** Minutes a `看板` link stays valid. */
  BOARD_LINK_MINUTES: z.coerce.number().int().min(1).max(60).default(10),
  /** Hours a board session (cookie) lasts. */
  BOARD_SESSION_HOURS: z.coerce.number().int().min(1).max(720).default(12),
  /** Evidence files on Node (content-addressed), beside the database by default; Workers use the R2 binding EVIDENCE. */
  EVIDENCE_DIR: z.string().min(1).default('./data/evidence'),
  /** Largest evidence file kept, in MB. */
  EVIDENCE_MAX_MB: z.coerce.number().min(1).max(100).default(20),
  /**
   * Node: an evidence confirmation waits this many seconds, so files sent one by one (Feishu sends each photo of a
   * multi-select as its own message) get one answer with the count. 0: answer each message at once.
   */
  EVIDENCE_BATCH_SECONDS: z.coerce.number().int().min(0).max(60).default(5),
  /** Hours an evidence link (in 任务 cards and replies) stays valid. */
  EVIDENCE_LINK_HOURS: z.coerce.number().int().min(1).max(720).default(72),
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
});

export type Config = z.output<typeof schema> & { larkConfigured: boolean };

export class ConfigError extends DubanError {
  constructor(readonly issues: Array<{ key: string; message: string }>) {
    super(
      'config_invalid',
      '配置有误 / invalid configuration:\n' +
        issues.map((i) => `  - ${i.key}: ${i.message}`).join('\n') +
        '\n请修正以上环境变量后重新启动（见 README 的“配置”一节）。',
    );
  }
}

/** zod's own messages are English ("Invalid input: expected number, received NaN"): say it in Chinese first. */
function zhIssue(i: z.core.$ZodIssue, given: unknown): string {
  if (/[\u4e00-\u9fff]/.test(i.message)) return i.message;
  const was = given === undefined ? '' : `（当前值“${String(given).slice(0, 40)}”）`;
  const issue = i as { code: string; expected?: string; minimum?: unknown; maximum?: unknown; format?: string };
  if (issue.code === 'invalid_type' && (issue.expected === 'number' || issue.expected === 'int'))
    return `应为整数${was} / ${i.message}`;
  if (issue.code === 'too_small') return `不能小于 ${String(issue.minimum)}${was} / ${i.message}`;
  if (issue.code === 'too_big') return `不能大于 ${String(issue.maximum)}${was} / ${i.message}`;
  return `取值无效${was} / ${i.message}`;
}

/** Parse configuration from an environment-like record (process.env, Workers env). Empty strings mean unset. */
export function parseConfig(source: Record<string, unknown>): Config {
  const cleaned: Record<string, unknown> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = source[key];
    if (typeof v === 'string' && v.trim() === '') continue;
    if (v !== undefined && v !== null) cleaned[key] = typeof v === 'string' ? v.trim() : v;
  }
  const res = schema.safeParse(cleaned);
  if (!res.success) {
    throw new ConfigError(
      res.error.issues.map((i) => ({ key: String(i.path[0] ?? '?'), message: zhIssue(i, cleaned[String(i.path[0])]) })),
    );
  }
  const c = res.data;
  const extra: Array<{ key: string; message: string }> = [];
  if ((c.LARK_APP_ID === '') !== (c.LARK_APP_SECRET === '')) {
    extra.push({
      key: c.LARK_APP_ID ? 'LARK_APP_SECRET' : 'LARK_APP_ID',
      message: 'LARK_APP_ID 与 LARK_APP_SECRET 必须同时设置（或都不设置，以离线模式运行）',
    });
  }
  if (c.WORK_DAY_START >= c.WORK_DAY_END) {
    extra.push({ key: 'WORK_DAY_END', message: '下班时间必须晚于上班时间 WORK_DAY_START' });
  }
  if (extra.length) throw new ConfigError(extra);
  return { ...c, larkConfigured: c.LARK_APP_ID !== '' };
}
