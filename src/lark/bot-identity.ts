// The bot's own open_id, so its @mention is recognised wherever it stands in a message (and is never taken for a
// person): LARK_BOT_OPEN_ID when set, else GET /open-apis/bot/v3/info once, cached in memory and in the database
// (`settings` key 'lark_bot_identity'), so a Workers isolate does not call Feishu for every event.
import type { AppDeps } from '../deps.js';
import { readBotIdentity, saveBotIdentity, type StoredBotIdentity } from '../db/bot-identity-store.js';
import type { BotInfo } from '../ports.js';

/** After a failed look-up, messages use the leading-mention rule for this long before asking again. */
const RETRY_AFTER_MS = 5 * 60_000;

// Keyed by the database handle: one per Node process, one per Workers isolate (see worker.ts isolateDeps).
const memory = new WeakMap<object, { openId?: string; appId: string; retryAt?: number; inflight?: Promise<string | undefined> }>();

type IdentityDeps = Pick<AppDeps, 'db' | 'config' | 'messenger' | 'logger' | 'clock'>;

/** The bot's open_id, or undefined (offline, or Feishu not reachable yet: callers fall back to the old rule). */
export async function botOpenIdFor(deps: IdentityDeps): Promise<string | undefined> {
  if (deps.config.LARK_BOT_OPEN_ID) return deps.config.LARK_BOT_OPEN_ID;
  const botInfo = deps.messenger.botInfo?.bind(deps.messenger);
  if (!deps.config.larkConfigured || !botInfo) return undefined;
  const appId = deps.config.LARK_APP_ID;
  let m = memory.get(deps.db);
  if (!m || m.appId !== appId) memory.set(deps.db, (m = { appId }));
  if (m.openId) return m.openId;
  if (m.inflight) return m.inflight;
  const entry = m;
  entry.inflight = resolve(deps, botInfo, entry).finally(() => {
    entry.inflight = undefined;
  });
  return entry.inflight;
}

async function resolve(
  deps: IdentityDeps,
  botInfo: () => Promise<BotInfo>,
  m: { openId?: string; appId: string; retryAt?: number },
): Promise<string | undefined> {
  const stored = await readBotIdentity(deps.db);
  // Stored for another app (the credentials changed): ask again.
  if (stored && stored.appId === m.appId) return (m.openId = stored.openId);
  const now = deps.clock();
  if (m.retryAt && now < m.retryAt) return undefined;
  try {
    const info = await botInfo();
    if (info.activateStatus !== undefined && info.activateStatus !== 2) {
      deps.logger.warn('lark: the bot is not enabled for this tenant (bot/v3/info activate_status ≠ 2); publish and enable the app', {
        activateStatus: info.activateStatus,
      });
    }
    const value: StoredBotIdentity = { openId: info.openId, appId: m.appId, ...(info.appName ? { appName: info.appName } : {}), fetchedAt: now };
    await saveBotIdentity(deps.db, value, now);
    deps.logger.info('lark: bot identity resolved', { openId: info.openId, name: info.appName ?? '' });
    return (m.openId = info.openId);
  } catch (err) {
    m.retryAt = now + RETRY_AFTER_MS;
    deps.logger.warn('lark: cannot read the bot identity (bot/v3/info); set LARK_BOT_OPEN_ID or check the bot ability', {
      error: String((err as Error).message).slice(0, 200),
    });
    return undefined;
  }
}
