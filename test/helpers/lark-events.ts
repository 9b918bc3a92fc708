// Builders for Feishu event / card-callback requests as Feishu sends them (encrypted, signed), and a poster.
import { createCipheriv, createHash, randomBytes } from 'node:crypto';

let counter = 0;
const next = (prefix: string) => `${prefix}${Date.now().toString(36)}${(++counter).toString(36)}`;

/** AES-256-CBC with key = SHA-256(encryptKey), random IV prepended, base64 — as Feishu encrypts. */
export function encryptForLark(encryptKey: string, plaintext: string | Buffer, iv: Buffer = randomBytes(16)): string {
  const key = createHash('sha256').update(encryptKey, 'utf8').digest();
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([iv, (typeof plaintext === 'string' ? cipher.update(plaintext, 'utf8') : cipher.update(plaintext)), cipher.final()]).toString('base64');
}

/** X-Lark-Signature = hex SHA-256(timestamp + nonce + encryptKey + raw body). */
export function signForLark(timestamp: string, nonce: string, encryptKey: string, rawBody: string | Buffer): string {
  return createHash('sha256').update(timestamp + nonce + encryptKey, 'utf8').update(rawBody).digest('hex');
}

export interface MessageEventInput {
  token?: string;
  eventId?: string;
  messageId?: string;
  chatId?: string;
  chatType?: 'p2p' | 'group';
  senderOpenId?: string;
  messageType?: string;
  /** For text messages; ignored when content is given. */
  text?: string;
  content?: Record<string, unknown>;
  mentions?: Array<{ key: string; name: string; openId: string }>;
  parentId?: string;
  rootId?: string;
  createTime?: number;
}

export function messageEvent(input: MessageEventInput = {}): Record<string, unknown> {
  const createTime = input.createTime ?? Date.now();
  return {
    schema: '2.0',
    header: {
      event_id: input.eventId ?? next('ev_'),
      event_type: 'im.message.receive_v1',
      create_time: String(createTime),
      token: input.token ?? '',
      app_id: 'cli_fake_app',
      tenant_key: 'fake_tenant',
    },
    event: {
      sender: {
        sender_id: { open_id: input.senderOpenId ?? 'ou_sender', union_id: 'on_sender', user_id: 'u_sender' },
        sender_type: 'user',
        tenant_key: 'fake_tenant',
      },
      message: {
        message_id: input.messageId ?? next('om_in_'),
        ...(input.rootId ? { root_id: input.rootId } : {}),
        ...(input.parentId ? { parent_id: input.parentId } : {}),
        create_time: String(createTime),
        chat_id: input.chatId ?? 'oc_chat',
        chat_type: input.chatType ?? 'p2p',
        message_type: input.messageType ?? 'text',
        content: JSON.stringify(input.content ?? { text: input.text ?? '进度 4.1.1 60%' }),
        mentions: (input.mentions ?? []).map((m) => ({
          key: m.key,
          id: { open_id: m.openId, union_id: `on_${m.openId}`, user_id: `u_${m.openId}` },
          name: m.name,
          tenant_key: 'fake_tenant',
        })),
      },
    },
  };
}

export function cardActionEvent(input: {
  token?: string;
  eventId?: string;
  operatorOpenId?: string;
  value?: Record<string, unknown>;
  formValue?: Record<string, unknown>;
  openMessageId?: string;
  openChatId?: string;
} = {}): Record<string, unknown> {
  return {
    schema: '2.0',
    header: {
      event_id: input.eventId ?? next('ev_card_'),
      event_type: 'card.action.trigger',
      create_time: String(Date.now() * 1000),
      token: input.token ?? '',
      app_id: 'cli_fake_app',
      tenant_key: 'fake_tenant',
    },
    event: {
      operator: { open_id: input.operatorOpenId ?? 'ou_operator', user_id: 'u_operator', union_id: 'on_operator', tenant_key: 'fake_tenant' },
      token: 'c-card-update-token',
      action: {
        value: input.value ?? { a: 'same', asg: 1 },
        tag: 'button',
        ...(input.formValue ? { form_value: input.formValue, name: 'submit' } : {}),
      },
      host: 'im_message',
      context: { open_message_id: input.openMessageId ?? 'om_card', open_chat_id: input.openChatId ?? 'oc_chat' },
    },
  };
}

export function urlVerification(token: string, challenge = next('ch_')): Record<string, unknown> {
  return { challenge, token, type: 'url_verification' };
}

export interface LarkRequestOptions {
  /** Encrypt the body with this key (and sign it, unless sign is false). */
  encryptKey?: string;
  encrypt?: boolean;
  sign?: boolean;
  /** Seconds; default now. */
  timestamp?: string;
  nonce?: string;
  /** Override the signature header (e.g. a forged one). */
  signature?: string;
}

/** The raw body and headers Feishu would send for `payload`. */
export function buildLarkRequest(payload: Record<string, unknown> | string, opts: LarkRequestOptions = {}) {
  const plain = typeof payload === 'string' ? payload : JSON.stringify(payload);
  const key = opts.encryptKey;
  const body = key && opts.encrypt !== false && typeof payload !== 'string' ? JSON.stringify({ encrypt: encryptForLark(key, plain) }) : plain;
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8' };
  const timestamp = opts.timestamp ?? String(Math.floor(Date.now() / 1000));
  const nonce = opts.nonce ?? randomBytes(8).toString('hex');
  headers['x-lark-request-timestamp'] = timestamp;
  headers['x-lark-request-nonce'] = nonce;
  if (opts.signature !== undefined) headers['x-lark-signature'] = opts.signature;
  else if (key && opts.sign !== false) headers['x-lark-signature'] = signForLark(timestamp, nonce, key, body);
  return { body, headers };
}

type Target = string | { request: (path: string, init: RequestInit) => Response | Promise<Response> };

/** POST a payload to a running app (base URL) or a Hono app (app.request), as Feishu would. */
export async function postLarkEvent(
  target: Target,
  path: '/lark/events' | '/lark/cards',
  payload: Record<string, unknown> | string,
  opts: LarkRequestOptions = {},
): Promise<Response> {
  const { body, headers } = buildLarkRequest(payload, opts);
  const init: RequestInit = { method: 'POST', body, headers };
  return typeof target === 'string' ? fetch(target.replace(/\/+$/, '') + path, init) : target.request(path, init);
}
