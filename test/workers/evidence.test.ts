// Evidence on Workers: an image reply to the cron-sent reminder is downloaded with fetch + the tenant token (the SDK's
// download needs Node streams), stored in the R2 bucket EVIDENCE, recorded in D1, opened through a personal link
// served by the worker (and refused for another unit), and removed from D1 and R2 when the message is recalled.
import { env } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { evidence, outbox, people, roles, units } from '../../src/db/schema.js';
import { evidenceLink } from '../../src/evidence/links.js';
import { PASS_CRON } from '../../src/worker-schedule.js';
import { messageEvent } from '../helpers/lark-events.js';
import { fakeRequests, messageCalls } from './fake-lark-client.js';
import { AT, clearPlanTables, db, deliverToWorker, larkRequest, runTrigger, seedReminderCase, TOKEN } from './fixture.js';

beforeEach(async () => {
  await clearPlanTables();
  await env.DB.prepare('delete from evidence').run();
});

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...Array.from({ length: 300 }, (_, i) => (i * 7) % 256)]);
const b64 = (u: Uint8Array) => btoa(String.fromCharCode(...u));

async function addResource(messageId: string, fileKey: string, bytes: Uint8Array, contentType: string, type: 'image' | 'file') {
  const res = await fetch(`${env.FAKE_LARK_CONTROL}/resources`, { method: 'POST', body: JSON.stringify({ messageId, fileKey, base64: b64(bytes), contentType, type }) });
  expect(res.status).toBe(200);
}

describe('evidence on Workers (D1 + R2)', () => {
  it('an image reply to a reminder is stored in R2, opens for its unit and not for another; a recall removes it', async () => {
    const { assignmentId, openId } = await seedReminderCase();
    await runTrigger(PASS_CRON, AT);
    const [reminder] = await db().select().from(outbox).where(eq(outbox.assignmentId, assignmentId));
    const reminderId = reminder!.messageId!;

    const imgMsg = `om_in_img_${crypto.randomUUID()}`;
    await addResource(imgMsg, 'img_v3_w', PNG, 'image/png', 'image');
    const event = messageEvent({ token: TOKEN, messageId: imgMsg, senderOpenId: openId, parentId: reminderId, rootId: reminderId, messageType: 'image', content: { image_key: 'img_v3_w' } });
    expect((await deliverToWorker(larkRequest('/lark/events', event))).status).toBe(200);

    const rows = await db().select().from(evidence);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ assignmentId, status: 'attached', via: 'reply', contentType: 'image/png', size: PNG.length });
    const sha = rows[0]!.sha256;
    const obj = await (env.EVIDENCE as { get(k: string): Promise<{ arrayBuffer(): Promise<ArrayBuffer> } | null> }).get(`evidence/${sha.slice(0, 2)}/${sha}`);
    expect(obj).not.toBeNull();
    expect(new Uint8Array(await obj!.arrayBuffer())).toEqual(PNG);
    // Downloaded with fetch and a bearer token, type=image.
    const dl = await fakeRequests((r) => r.path === `/open-apis/im/v1/messages/${imgMsg}/resources/img_v3_w`);
    expect(dl[0]).toMatchObject({ status: 200, query: { type: 'image' } });
    const replies = await messageCalls((r) => r.path === `/open-apis/im/v1/messages/${imgMsg}/reply`);
    expect(String(replies[0]!.body.content)).toContain('的佐证材料 1 个');

    // A personal link for the contact opens the file through the worker; one for another unit's contact does not.
    const config = parseConfig({ ...env, PUBLIC_BASE_URL: 'https://duban.example' });
    const [me] = await db().select().from(people).where(eq(people.openId, openId));
    const own = (await evidenceLink({ db: db(), config }, rows[0]!.id, me!.id, Date.now()))!;
    const ok = await deliverToWorker(new Request(own));
    expect(ok.status).toBe(200);
    expect(ok.headers.get('content-type')).toBe('image/png');
    expect(new Uint8Array(await ok.arrayBuffer())).toEqual(PNG);
    const [otherUnit] = await db().insert(units).values({ name: `别的县${Date.now()}`, kind: 'county' }).returning();
    const [stranger] = await db().insert(people).values({ openId: `ou_other_${Date.now()}`, name: '别的联络员' }).returning();
    await db().insert(roles).values({ personId: stranger!.id, role: 'contact', unitId: otherUnit!.id });
    const theirs = (await evidenceLink({ db: db(), config }, rows[0]!.id, stranger!.id, Date.now()))!;
    const refused = await deliverToWorker(new Request(theirs));
    expect(refused.status).toBe(403);
    expect(await refused.text()).toContain('无权查看');
    // One character inside the signature (the last one also carries base64url's unused bits: changing only those
    // leaves the same signature bytes).
    const at = own.length - 10;
    const tampered = await deliverToWorker(new Request(own.slice(0, at) + (own[at] === 'A' ? 'B' : 'A') + own.slice(at + 1)));
    expect(tampered.status).toBe(403);

    const recall = {
      schema: '2.0',
      header: { event_id: `ev_recall_${crypto.randomUUID()}`, event_type: 'im.message.recalled_v1', create_time: String(Date.now()), token: TOKEN, app_id: 'cli_workers_test', tenant_key: 't' },
      event: { message_id: imgMsg, chat_id: 'oc_x', recall_time: String(Date.now()), recall_type: 'message_owner' },
    };
    expect((await deliverToWorker(larkRequest('/lark/events', recall))).status).toBe(200);
    expect(await db().select().from(evidence)).toHaveLength(0);
    expect(await (env.EVIDENCE as { head(k: string): Promise<unknown> }).head(`evidence/${sha.slice(0, 2)}/${sha}`)).toBeNull();
  });
});
