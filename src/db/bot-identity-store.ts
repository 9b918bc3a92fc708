// The bot's identity as last read from Feishu (bot/v3/info), kept in `settings` so a new process or Workers isolate
// does not ask again (see lark/bot-identity.ts).
import { eq } from 'drizzle-orm';
import type { Db } from './client.js';
import { settings } from './schema.js';

export const BOT_IDENTITY_KEY = 'lark_bot_identity';

export interface StoredBotIdentity {
  openId: string;
  appId: string;
  appName?: string;
  fetchedAt: number;
}

export async function readBotIdentity(db: Db): Promise<StoredBotIdentity | undefined> {
  const rows = await db.select({ value: settings.value }).from(settings).where(eq(settings.key, BOT_IDENTITY_KEY));
  const v = rows[0]?.value as Partial<StoredBotIdentity> | undefined;
  return v && typeof v.openId === 'string' && typeof v.appId === 'string' ? (v as StoredBotIdentity) : undefined;
}

export async function saveBotIdentity(db: Db, value: StoredBotIdentity, now: number): Promise<void> {
  await db
    .insert(settings)
    .values({ key: BOT_IDENTITY_KEY, value, updatedAt: now })
    .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: now } });
}
