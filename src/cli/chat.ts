// `npx duban chat --as <open_id|姓名>`: a local conversation with the bot on the configured database, no Feishu.
// Each line becomes a message to the real handlers; what the bot queues is printed (cards as text) and marked
// delivered in the sandbox, so replies (`> 文本`) and buttons (`:press 已完成`) work on it.
import { randomUUID } from 'node:crypto';
import readline from 'node:readline';
import { resolveActor } from '../db/people-store.js';
import { assignmentCard } from '../commands/task-commands.js';
import { taskAssignments } from '../db/task-store.js';
import { findTask } from '../commands/lookup.js';
import type { CommandContext } from '../commands/registry.js';
import type { AppDeps } from '../deps.js';
import { insertOutboxMessage, lastOutboxId, markOutboxShown, pendingOutboxAfter, recentOutboxTo, type OutboxRow } from '../db/outbox-store.js';
import { chatIdsOfUnits, findPeopleBy } from '../db/roster-store.js';
import { isIsoDate, shanghaiDate, shanghaiInstant } from '../domain/dates.js';
import { describeRoles } from '../domain/permissions.js';
import { ensureBundledPlan } from '../plans/bundled.js';
import { silentLogger } from '../logger.js';
import { createConsoleMessenger } from '../lark/messenger.js';
import { createLoopOutboxFlush } from '../lark/outbox-flush.js';
import { composeAppDeps } from '../compose.js';
import { renderCardText } from '../lark/card-text.js';
import { StoredCardError, wireContent } from '../cards/stored-card.js';
import { listPlanLive } from '../db/plan-live-store.js';
import { cardButtons, formHint } from './card-buttons.js';
import { CliUsageError, parseArgs, type CliCommand, type CliContext } from './types.js';

/** How many reminders `:reminders` shows (the newest). */
const REMINDERS_SHOWN = 10;

const SANDBOX_HELP = [
  '沙盒命令：',
  '  直接输入命令，例如：帮助、我的任务、进度 4.1.1 60% 说明；@姓名 提及已知的人（如 绑定 @张三 安定区）',
  '  > 文本 或 回复 文本   回复上一条机器人消息（提醒/卡片）',
  '  :reminders            显示发给你（或你单位群）的提醒（含 tick 已送达的，最近 10 条），之后 > 文本 回复最后一条',
  '  :card <编号>          让机器人发来该任务的卡片（带按钮）',
  '  :press <按钮> [字段=值 …]  按上一张卡片上的按钮，例如 :press 已完成、:press 提交 percent=60 note=说明',
  '  :quit                 退出',
].join('\n');

type OutRow = OutboxRow;

/** A card as terminal text, plus how to fill its form with :press when it has one. */
function renderCard(card: Record<string, unknown>): string {
  const hint = formHint(card);
  return renderCardText(card) + (hint ? `\n${hint}` : '');
}

export async function runChat(args: string[], cliCtx: CliContext, input: AsyncIterable<string>): Promise<number> {
  const { options } = parseArgs(args, { as: 'string', group: 'string', date: 'string' });
  let ctx = cliCtx;
  if (typeof options.date === 'string') {
    // Pretend it is that day (10:00 Shanghai), to try a 2022 plan as it was lived; time still moves on.
    if (!isIsoDate(options.date)) throw new CliUsageError('--date 应为 YYYY-MM-DD，例如 2022-06-16');
    const offset = shanghaiInstant(options.date, '10:00') - cliCtx.now();
    ctx = { ...cliCtx, now: () => cliCtx.now() + offset };
  }
  const who = options.as;
  if (typeof who !== 'string' || !who) throw new CliUsageError('请用 --as 指定身份（open_id 或姓名）');
  const { db } = ctx.database();
  const byName = (await findPeopleBy(db, 'name', who))[0];
  const openId = byName?.openId ?? (/^ou_|^[\w-]{6,}$/.test(who) ? who : null);
  if (!openId) {
    ctx.err(`没有名为“${who}”的人。用 npx duban people list 查看，或直接写 open_id。`);
    return 1;
  }
  const pending = new Set<Promise<unknown>>();
  const deps: AppDeps = composeAppDeps(
    {
      db,
      config: ctx.config,
      logger: silentLogger,
      // The sandbox shows queued messages itself (see flush); nothing is sent to Feishu from here.
      messenger: createConsoleMessenger(() => undefined),
      clock: ctx.now,
      defer: (w) => {
        const p = w.catch(() => undefined).finally(() => pending.delete(p));
        pending.add(p);
      },
    },
    // Like the service's sender loop, the sandbox's own display takes queued messages: work never drains them.
    { outbox: (d) => createLoopOutboxFlush(d, undefined) },
  );
  const chatId = typeof options.group === 'string' ? options.group : `sandbox:${openId}`;
  const chatType = typeof options.group === 'string' ? 'group' : 'p2p';
  let lastSeen = await lastOutboxId(db);
  let lastMessageId: string | null = null;
  let lastCard: Record<string, unknown> | null = null;
  let seq = 0;
  // Ids of this session's messages and events: never the same as another session's (the inbox de-duplicates by id).
  const session = randomUUID().slice(0, 8);

  // A newcomer's empty database gets the bundled plan, as the service would on first start.
  if (ctx.config.PLAN_AUTOLOAD && (await ensureBundledPlan(db, ctx.now()))) ctx.out('数据库为空，已载入内置方案（定西市 2022）。');
  const actor = await resolveActor(deps, { openId }, ctx.now());
  ctx.out(`督办沙盒 · 身份：${byName?.name ?? openId}（${describeRoles(actor)}）。输入 :help 查看沙盒命令。`);
  if (ctx.config.larkConfigured) ctx.out('注意：沙盒显示的消息会在数据库中标记为已送达，不会再发到飞书。');
  const notLive = (await listPlanLive(db)).filter((p) => !p.liveFrom);
  if (notLive.length)
    ctx.out(`计划尚未上线，提醒不会发给各单位：办公室发送「上线 <日期>」（演练 2022 年计划：上线 2022-06-01），或运行 npx duban plan live <日期>。`);

  const show = async (rows: OutRow[]) => {
    for (const r of rows) {
      // A message `tick` (or the service) already delivered keeps its id, so a reply to it ties to it.
      const mid = r.status === 'sent' && r.messageId ? r.messageId : `sandbox-${r.id}`;
      if (r.status !== 'sent' || !r.messageId) await markOutboxShown(db, r.id, mid, r.sentAt ?? ctx.now());
      let content: Record<string, unknown> | null = null;
      let body: string;
      try {
        content = JSON.parse(wireContent(r.content)) as Record<string, unknown>;
        body = r.msgType === 'interactive' ? renderCard(content) : String(content.text ?? '');
      } catch (err) {
        if (!(err instanceof StoredCardError)) throw err;
        body = `（这条消息无法显示：${err.message}）`;
      }
      const toMe = r.op === 'reply' || r.receiveId === openId || r.receiveId === chatId;
      const head = toMe ? '机器人：' : `机器人 → ${r.receiveIdType === 'chat_id' ? '群 ' : ''}${r.receiveId}：`;
      ctx.out(`${head}${body.includes('\n') ? '\n' : ''}${body}`);
      if (toMe) {
        lastMessageId = mid;
        if (r.msgType === 'interactive' && content) lastCard = content;
      }
    }
  };
  const flush = async () => {
    const rows = await pendingOutboxAfter(db, lastSeen);
    if (rows.length) lastSeen = rows[rows.length - 1]!.id;
    await show(rows);
  };
  const send = async (text: string, parentId?: string | null) => {
    seq++;
    const mentions = await sandboxMentions(db, text);
    for (const miss of mentions.unknown) ctx.out(`（沙盒：没有名为“${miss}”的人，这个 @ 不会被当作提及。用 npx duban people list 查看姓名。）`);
    // Through the one inbound entry point, as the service hands it every event.
    await deps.inbound.message(
      {
        eventId: `sandbox-ev-${session}-${seq}`,
        messageId: `sandbox-in-${session}-${seq}`,
        chatId,
        chatType,
        sender: { openId },
        messageType: 'text',
        text,
        mentions: mentions.resolved,
        parentId: parentId ?? undefined,
        createTime: ctx.now(),
      },
      [],
      ctx.now(),
      [],
    );
    while (pending.size) await Promise.allSettled([...pending]);
    await flush();
  };

  const prompt = () => {
    if (process.stdin.isTTY) process.stdout.write('你> ');
  };
  prompt();
  for await (const raw of input) {
    const line = raw.trim();
    if (!line) {
      prompt();
      continue;
    }
    if (line === ':quit' || line === ':q' || line === '退出') break;
    if (line === ':help') ctx.out(SANDBOX_HELP);
    else if (line === ':reminders') {
      const me = await resolveActor(deps, { openId }, ctx.now());
      const unitChats = await chatIdsOfUnits(db, me.unitIds);
      // Reminders for this person (or their unit's chat): not yet delivered, and those `tick` or the service already
      // delivered; the newest last, so `> 文本` replies to it.
      const rows = await recentOutboxTo(db, [openId, ...unitChats], ['reminder', 'escalation', 'digest'], REMINDERS_SHOWN + 1);
      if (rows.length === 0) ctx.out('没有发给你的提醒。可以用 :card <编号> 让机器人发来一张任务卡片，或先运行 npx duban tick --at <时间>。');
      else if (rows.length > REMINDERS_SHOWN) ctx.out(`（只显示最近 ${REMINDERS_SHOWN} 条提醒）`);
      await show(rows.slice(0, REMINDERS_SHOWN).sort((a, b) => a.id - b.id));
      ctx.out(rows.length ? '回复最后一条提醒：> 文本（如 > 80% 已完成排查、> 完成、> 无变化）' : '');
    } else if (line.startsWith(':card')) {
      const code = line.slice(5).trim();
      const today = shanghaiDate(ctx.now());
      const t = await findTask(db, code);
      if (!t.ok) ctx.out(t.error);
      else {
        const me = await resolveActor(deps, { openId }, ctx.now());
        const views = await taskAssignments(db, t.value.id, today);
        const mine = views.find((v) => me.unitIds.includes(v.unit.id)) ?? views[0];
        if (!mine) ctx.out(`${t.value.code} 没有责任单位。`);
        else {
          const cctx: CommandContext = { deps, actor: me, msg: null, now: ctx.now(), today, channel: 'cli', sentMessages: deps.sentMessages };
          const card = (await assignmentCard(cctx, mine.asg.id))!;
          await insertOutboxMessage(
            db,
            {
              dedupeKey: `sandbox:card:${mine.asg.id}:${session}:${seq++}`,
              op: 'send',
              receiveIdType: 'open_id',
              receiveId: openId,
              msgType: 'interactive',
              content: card,
              purpose: 'notice',
              taskId: t.value.id,
              assignmentId: mine.asg.id,
            },
            ctx.now(),
          );
          await flush();
        }
      }
    } else if (line.startsWith(':press')) {
      const [, label = '', ...fields] = line.split(/\s+/);
      const btn = lastCard ? cardButtons(lastCard).find((b) => b.text === label || b.text.includes(label)) : undefined;
      if (!btn) ctx.out(lastCard ? `上一张卡片上没有按钮“${label}”。按钮：${cardButtons(lastCard).map((b) => b.text).join('、')}` : '还没有卡片。');
      else {
        const formValue = Object.fromEntries(fields.map((f) => [f.split('=')[0], f.split('=').slice(1).join('=')]));
        const res = await deps.inbound.cardAction(
          { eventId: `sandbox-card-${session}-${seq++}`, operator: { openId }, value: btn.value, formValue: btn.submit ? formValue : undefined, openMessageId: lastMessageId ?? undefined },
          ctx.now(),
        );
        if (res.toast) ctx.out(`（提示：${res.toast.content}）`);
        if (res.card) {
          lastCard = res.card;
          ctx.out(renderCard(res.card));
        }
        await flush();
      }
    } else if (line.startsWith('>') || line.startsWith('回复 ') || line.startsWith('回复：')) {
      const text = line.replace(/^(>|回复[ ：])\s*/, '');
      if (!lastMessageId) ctx.out('还没有可以回复的机器人消息。');
      else await send(text, lastMessageId);
    } else {
      await send(line);
    }
    prompt();
  }
  return 0;
}

/**
 * `@姓名` in sandbox text as Feishu would deliver it: a mention of that known person (by name in the database).
 * Names that match nobody stay plain text, as an @ typed by hand does in Feishu.
 */
export async function sandboxMentions(
  db: AppDeps['db'],
  text: string,
): Promise<{ resolved: Array<{ key: string; name: string; openId: string }>; unknown: string[] }> {
  const names = [...text.matchAll(/(?:^|\s)@([^\s@]+)/g)].map((m) => m[1]!);
  const resolved: Array<{ key: string; name: string; openId: string }> = [];
  const unknown: string[] = [];
  for (const name of names) {
    const p = (await findPeopleBy(db, 'name', name))[0] ?? (await findPeopleBy(db, 'openId', name))[0];
    if (p?.openId) resolved.push({ key: `@_user_${resolved.length + 1}`, name: p.name ?? name, openId: p.openId });
    else unknown.push(name);
  }
  return { resolved, unknown };
}

export const chatCommand: CliCommand = {
  name: 'chat',
  usage: 'chat --as <open_id|姓名> [--group <chat_id>] [--date YYYY-MM-DD]',
  summary: '在本地与机器人对话（不需要飞书），试用命令、回复和卡片按钮',
  async run(args, ctx) {
    const rl = readline.createInterface({ input: process.stdin, terminal: false });
    try {
      return await runChat(args, ctx, rl);
    } finally {
      rl.close();
    }
  },
};
