// Cap request bodies before they are read whole: a declared Content-Length over the cap is refused unread, and a
// body without one (chunked) is counted as it streams and refused the moment it passes the cap.
import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';

/**
 * 512 KiB. Feishu's events are small: a message event carries at most one message, and Feishu caps a text message
 * at 150 KB (a post or card at 30 KB). Escaped once more inside the event JSON and then encrypted (base64, x4/3),
 * the largest genuine event stays under ~320 KB; 512 KiB leaves room and still bounds what one request can cost.
 */
export const LARK_BODY_LIMIT_BYTES = 512 * 1024;

/** /api/* (admin) bodies are a line of JSON. */
export const ADMIN_BODY_LIMIT_BYTES = 64 * 1024;

export const BODY_TOO_LARGE_MESSAGE = '请求体过大，已拒绝（飞书事件上限 512 KiB，管理接口上限 64 KiB）/ request body too large';

/** 413 with a JSON message; the connection is closed so the rest of the upload is not kept flowing. */
export function bodyCap(maxSize = LARK_BODY_LIMIT_BYTES, onRefused?: (declared: string | undefined) => void): MiddlewareHandler {
  return bodyLimit({
    maxSize,
    onError: (c) => {
      onRefused?.(c.req.header('content-length'));
      c.header('Connection', 'close');
      return c.json({ error: 'payload_too_large', message: BODY_TOO_LARGE_MESSAGE }, 413);
    },
  });
}
