// Feishu inbound wire format for load generation: encrypted, signed im.message.receive_v1 requests.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';

export const BENCH_ENCRYPT_KEY = 'bench-encrypt-key-0123456789';
export const BENCH_VERIFICATION_TOKEN = 'bench-verification-token';
export const BENCH_APP_ID = 'cli_bench0000000000';

/** AES-256-CBC with key SHA-256(encryptKey), a random IV prefixed, base64: what Feishu puts in `encrypt`. */
export function encryptLarkPayload(encryptKey: string, plain: string): string {
  const key = createHash('sha256').update(encryptKey).digest();
  const iv = randomBytes(16);
  const c = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([iv, c.update(plain, 'utf8'), c.final()]).toString('base64');
}

export function signLarkBody(timestamp: string, nonce: string, encryptKey: string, body: string): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey + body).digest('hex');
}

export interface MessageEventOpts {
  eventId: string;
  messageId: string;
  openId: string;
  text: string;
  createTime?: number;
  chatType?: 'p2p' | 'group';
}

export function buildMessageEvent(o: MessageEventOpts): Record<string, unknown> {
  const ct = String(o.createTime ?? Date.now());
  return {
    schema: '2.0',
    header: {
      event_id: o.eventId,
      event_type: 'im.message.receive_v1',
      create_time: ct,
      token: BENCH_VERIFICATION_TOKEN,
      app_id: BENCH_APP_ID,
      tenant_key: 'bench-tenant',
    },
    event: {
      sender: {
        sender_id: { open_id: o.openId, union_id: `on_${o.openId.slice(3)}`, user_id: `u_${o.openId.slice(3, 11)}` },
        sender_type: 'user',
        tenant_key: 'bench-tenant',
      },
      message: {
        message_id: o.messageId,
        create_time: ct,
        chat_id: `oc_p2p_${o.openId.slice(3)}`,
        chat_type: o.chatType ?? 'p2p',
        message_type: 'text',
        content: JSON.stringify({ text: o.text }),
      },
    },
  };
}

export interface SignedRequest {
  timestamp: string;
  nonce: string;
  signature: string;
  body: string;
  eventId: string;
}

export function signedRequest(event: Record<string, unknown>, encryptKey = BENCH_ENCRYPT_KEY, nowMs = Date.now()): SignedRequest {
  const body = JSON.stringify({ encrypt: encryptLarkPayload(encryptKey, JSON.stringify(event)) });
  const timestamp = String(Math.floor(nowMs / 1000));
  const nonce = randomBytes(8).toString('hex');
  const header = event.header as { event_id: string };
  return { timestamp, nonce, signature: signLarkBody(timestamp, nonce, encryptKey, body), body, eventId: header.event_id };
}

const TEXTS = ['帮助', '进度 4.1.1 60%', '我的任务', '4.2.3 已完成', '查询 大气', 'hello'];

/**
 * Write `n` distinct signed message events, one per line: timestamp \t nonce \t signature \t body \t event_id.
 * Each has a fresh event_id and message_id, so every request is new work for a de-duplicating receiver.
 */
export function writeEventPool(file: string, n: number, opts: { prefix: string; contacts?: number }): void {
  const contacts = opts.contacts ?? 500;
  const fd = fs.openSync(file, 'w');
  const now = Date.now();
  let buf: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = signedRequest(
      buildMessageEvent({
        eventId: `${opts.prefix}-ev-${i}`,
        messageId: `om_${opts.prefix}_${i}`,
        openId: `ou_bench${String(i % contacts).padStart(6, '0')}`,
        text: TEXTS[i % TEXTS.length]!,
        createTime: now,
      }),
      BENCH_ENCRYPT_KEY,
      now,
    );
    buf.push(`${r.timestamp}\t${r.nonce}\t${r.signature}\t${r.body}\t${r.eventId}\n`);
    if (buf.length >= 1000) {
      fs.writeSync(fd, buf.join(''));
      buf = [];
    }
  }
  if (buf.length) fs.writeSync(fd, buf.join(''));
  fs.closeSync(fd);
}

export function readEventPool(file: string): SignedRequest[] {
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [timestamp, nonce, signature, body, eventId] = line.split('\t') as [string, string, string, string, string];
      return { timestamp, nonce, signature, body, eventId };
    });
}
