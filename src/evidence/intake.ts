// Files people send (image, file, media, and posts with images) as evidence: each file is downloaded
// (deps.larkIm), checked (size and type, src/domain/evidence.ts) and stored by sha256 (deps.evidenceStore) before
// its row is written; here are those steps, the rows and audit entry that record the files, and the folding of a
// burst of files to one assignment into one confirmation. Who sent them, which assignment they belong to and what
// to answer are decided in the command layer (src/commands/evidence-intake.ts), which calls these.
import type { AppDeps } from '../deps.js';
import { auditInsert, actorOf } from '../db/audit.js';
import {
  evidenceInsert,
  mergedAnswerInsert,
  recountWaitingConfirmation,
  rewriteWaitingConfirmation,
  senderFilesSince,
  senderSentFilesIn,
  waitingConfirmation,
  type EvidenceInsert,
} from '../db/evidence-store.js';
import { outboxRow } from '../db/outbox-store.js';
import type { AssignmentView } from '../db/task-store.js';
import type { Db } from '../db/client.js';
import { shanghaiDate } from '../domain/dates.js';
import { acceptFile, evidenceName, MAX_FILES_PER_MESSAGE, type Attachment } from '../domain/evidence.js';
import type { IncomingMessage } from '../domain/types.js';
import { sha256Hex } from './blob-store.js';

/** Where a message's files go: an assignment, and how it was found (README "Evidence"). */
export interface Placed {
  assignmentId: number;
  via: 'reply' | 'code' | 'window';
}

export interface KeptFiles {
  /** Rows to write for the files stored. */
  kept: EvidenceInsert[];
  /** "name：why" of each file not kept. */
  refused: string[];
  /** The sentence about files beyond MAX_FILES_PER_MESSAGE, or ''. */
  over: string;
}

type FileDeps = Pick<AppDeps, 'config'> & { larkIm: NonNullable<AppDeps['larkIm']>; evidenceStore: NonNullable<AppDeps['evidenceStore']> };

/**
 * Download, check and store the message's files (at most MAX_FILES_PER_MESSAGE). A passing download failure
 * (network, 5xx, 234019) throws so the inbox retries the event; nothing is written yet.
 */
export async function keepFiles(
  deps: FileDeps,
  msg: IncomingMessage,
  all: Attachment[],
  placed: Placed | null,
  actor: { personId: number | null; openId: string },
  now: number,
): Promise<KeptFiles> {
  const maxBytes = deps.config.EVIDENCE_MAX_MB * 1024 * 1024;
  const files = all.slice(0, MAX_FILES_PER_MESSAGE);
  const kept: EvidenceInsert[] = [];
  const refused: string[] = [];
  const date = shanghaiDate(now);
  for (const [i, f] of files.entries()) {
    const r = await deps.larkIm.fetchResource(msg.messageId, f.fileKey, f.type, maxBytes);
    const shown = f.name ?? `第 ${i + 1} 张图片`;
    if (!r.ok) {
      // A passing failure (network, 5xx, 234019) fails the event so the inbox retries it; nothing is written yet.
      if (!r.error.permanent) throw new Error(`evidence download failed: ${r.error.reason}`);
      refused.push(`${shown}：无法下载，${r.error.reason}`);
      continue;
    }
    const name = evidenceName(f, r.value.contentType, i, date);
    const accepted = acceptFile({ name, kind: f.kind, bytes: r.value.bytes, size: r.value.size, maxBytes });
    if (!accepted.ok) {
      refused.push(`${f.name ?? name}：${accepted.error}`);
      continue;
    }
    const sha = await sha256Hex(r.value.bytes);
    await deps.evidenceStore.put(sha, r.value.bytes, accepted.value);
    kept.push({
      assignmentId: placed?.assignmentId ?? null,
      personId: actor.personId,
      senderOpenId: actor.openId,
      chatId: msg.chatId,
      messageId: msg.messageId,
      fileKey: f.fileKey,
      kind: f.kind,
      name,
      contentType: accepted.value,
      size: r.value.bytes.length,
      sha256: sha,
      status: placed ? 'attached' : 'pending',
      via: placed ? placed.via : null,
      createdAt: now,
      attachedAt: placed ? now : null,
    });
  }
  const over = all.length > files.length ? `\n一条消息最多收 ${MAX_FILES_PER_MESSAGE} 个文件，其余 ${all.length - files.length} 个未保存，请分开发送。` : '';
  return { kept, refused, over };
}

/** The writes that record kept files (for one batch with the answer): the rows and one audit entry. */
export function evidenceWrites(
  db: Db,
  kept: EvidenceInsert[],
  placed: Placed | null,
  actor: { personId: number | null },
  msg: IncomingMessage,
  now: number,
): unknown[] {
  return [
    evidenceInsert(db, kept),
    auditInsert(db, {
      at: now,
      actor: actorOf(actor.personId),
      personId: actor.personId,
      channel: 'chat',
      action: placed ? 'evidence.attach' : 'evidence.pending',
      entity: placed ? 'assignment' : 'message',
      entityId: placed ? placed.assignmentId : msg.messageId,
      detail: { files: kept.map((k) => ({ name: k.name, size: k.size, sha256: k.sha256 })), via: placed ? placed.via : null, messageId: msg.messageId },
    }),
  ];
}

/**
 * Several files to one assignment in quick succession: rewrite the confirmation still waiting to be sent (same
 * sender, same assignment, under a minute old) with the new count, and mark this message answered by a row that is
 * never sent (status 'merged'). Returns that marker's insert, or null when there is nothing to merge into.
 * `named`: how the assignment is named in replies (e.g. "4.1.1（安定区）").
 */
export async function mergeIntoPending(
  deps: Pick<AppDeps, 'db' | 'config'>,
  msg: IncomingMessage,
  openId: string,
  view: AssignmentView,
  named: string,
  added: number,
  total: number,
  how: string,
  now: number,
) {
  const { db } = deps;
  const prev = await waitingConfirmation(db, view.asg.id, now - 60_000);
  if (!prev?.target || !prev.content.includes('的佐证材料') || prev.content.includes('未保存')) return null;
  const earlier = await senderFilesSince(db, view.asg.id, openId, prev.createdAt);
  if (!(await senderSentFilesIn(db, prev.target, openId))) return null;
  const n = earlier.files + added;
  const m = earlier.messages + 1;
  const text = `已收到 ${named} 的佐证材料 ${n} 个（${m} 条消息）${how}，该项共 ${total} 个。发送「任务 ${view.task.code}」可查看。`;
  if (!(await rewriteWaitingConfirmation(db, prev.id, text, now + deps.config.EVIDENCE_BATCH_SECONDS * 1000))) return null;
  // The count again, in SQL, after this message's rows are committed: SQLite runs writes one at a time, so the last
  // message of a burst always leaves the confirmation with every file counted, whatever order they were processed in.
  // The burst: this sender's files on this assignment from the minute before the confirmation (messages are processed
  // concurrently, so an earlier one may merge into a later one's row), less those another answer already confirmed.
  const since = prev.createdAt - 60_000;
  const recount = async () => {
    await recountWaitingConfirmation(db, prev.id, { assignmentId: view.asg.id, openId, since }, [
      `已收到 ${named} 的佐证材料 `,
      ' 个（',
      ` 条消息）${how}，该项共 `,
      ` 个。发送「任务 ${view.task.code}」可查看。`,
    ]);
  };
  // Wrapped: a query builder is a thenable, and an async function would run it instead of returning it.
  const marker = mergedAnswerInsert(
    db,
    outboxRow({ dedupeKey: `reply:${msg.messageId}`, op: 'reply', targetMessageId: msg.messageId, msgType: 'text', content: { text: `（已合并到对 ${prev.target} 的确认）` }, purpose: 'reply', assignmentId: view.asg.id }, now),
  );
  return { marker, recount };
}
