// `npx duban digest [--at <instant>] [--dry-run]`: build this week's digest, print it as text, store and queue it.
import { renderDigestText } from '../cards/digest-text.js';
import { cardBytes } from '../cards/digest-card.js';
import { runDigest } from '../reports/digest-run.js';
import { CliUsageError, parseArgs, type CliCommand } from './types.js';

export const digestCommand: CliCommand = {
  name: 'digest',
  needsPlan: true,
  usage: 'digest [--at <时间>] [--dry-run]',
  summary: '生成本周督办周报并发送到领导群和办公室群（--dry-run 只显示不发送）/ build and send the weekly digest',
  async run(args, ctx) {
    const { positionals, options } = parseArgs(args, { at: 'string', 'dry-run': 'boolean' });
    if (positionals.length > 0) throw new CliUsageError(`多余的参数：${positionals.join(' ')}`);
    let at = ctx.now();
    if (typeof options.at === 'string') {
      at = Date.parse(options.at);
      if (Number.isNaN(at)) {
        throw new CliUsageError(`--at 的时间无法识别：${options.at}。请写 ISO 时间，例如 2022-06-27T09:00:00+08:00`);
      }
    }
    const dryRun = options['dry-run'] === true;
    const { db } = ctx.database();
    // Run by hand, the digest goes out whatever the hour; the weekly claim still stops a second send.
    const r = await runDigest({ db }, at, { dryRun, force: true, actor: 'cli' });
    if (r.status === 'no_plan') {
      ctx.err('数据库中还没有方案，无法生成周报。请先运行 `npx duban import <文件>` 导入方案。');
      return 1;
    }
    if (r.card) {
      ctx.out(renderDigestText(r.card));
      ctx.out('');
      ctx.out(`（卡片大小 ${cardBytes(r.card)} 字节，上限 30720）`);
    }
    if (r.status === 'dry_run') {
      ctx.out(`试运行：未保存、未发送。本周（${r.weekKey}）将发送给 ${r.recipients.length} 个对象。`);
    } else if (r.status === 'already_sent') {
      ctx.out(`本周（${r.weekKey}）周报已经发送过，本次未重复发送。如需查看，请加 --dry-run。`);
    } else if (r.status === 'sent') {
      ctx.out(
        r.recipients.length > 0
          ? `已保存本周（${r.weekKey}）周报，并排入发送队列：${r.recipients.map((x) => x.receiveId).join('、')}。`
          : `已保存本周（${r.weekKey}）周报，但没有接收对象：请在领导群、办公室群发送「本群设为 领导群」「本群设为 办公室群」。`,
      );
    }
    return 0;
  },
};
