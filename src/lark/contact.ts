// Resolving people by email or mobile to open_ids (contact.v3.user.batchGetId): implementations of the
// ContactDirectory port (src/ports.ts), so the command layer and the CLI can be tested with a fake directory.
import * as lark from '@larksuiteoapi/node-sdk';
import type { Config } from '../config.js';
import { ContactDirectoryUnavailable, type ContactDirectory } from '../ports.js';
import { isEmail, isMobile, normaliseMobile } from '../domain/contact-keys.js';

/** Used when no Feishu credentials are configured: says what to do instead. */
export const offlineContactDirectory: ContactDirectory = {
  async resolve() {
    throw new ContactDirectoryUnavailable('未配置飞书凭据（LARK_APP_ID / LARK_APP_SECRET），无法按邮箱或手机号查找用户；请改用 open_id。');
  },
};

export function createLarkContactDirectory(config: Config): ContactDirectory {
  if (!config.larkConfigured) return offlineContactDirectory;
  const client = new lark.Client({
    appId: config.LARK_APP_ID,
    appSecret: config.LARK_APP_SECRET,
    domain: config.LARK_BASE_URL,
    loggerLevel: lark.LoggerLevel.error,
  });
  return {
    async resolve(keys) {
      const emails = keys.filter(isEmail);
      // Mainland numbers are sent without the country code, which is how the directory stores them.
      const mobiles = keys.filter((k) => !isEmail(k) && isMobile(k)).map(normaliseMobile);
      const found = new Map<string, string>();
      // The API takes at most 50 emails and 50 mobiles per call.
      for (let i = 0; i < Math.max(emails.length, mobiles.length); i += 50) {
        const res = await client.contact.v3.user.batchGetId({
          data: { emails: emails.slice(i, i + 50), mobiles: mobiles.slice(i, i + 50) },
          params: { user_id_type: 'open_id' },
        });
        if (res.code && res.code !== 0) throw new Error(`飞书通讯录查询失败（${res.code}）：${res.msg ?? ''}`);
        for (const u of res.data?.user_list ?? []) {
          if (!u.user_id) continue;
          if (u.email) found.set(u.email.toLowerCase(), u.user_id);
          if (u.mobile) found.set(normaliseMobile(u.mobile), u.user_id);
        }
      }
      return keys.map((k) => {
        const norm = isEmail(k) ? k.toLowerCase() : normaliseMobile(k);
        return { key: k, openId: found.get(norm) ?? null };
      });
    },
    async nameOf(openId) {
      try {
        const res = await client.contact.v3.user.get({ path: { user_id: openId }, params: { user_id_type: 'open_id' } });
        return (res.code === 0 || res.code === undefined) && res.data?.user?.name ? res.data.user.name : null;
      } catch {
        // No permission for the contact scope, or the person is outside the app's range: ask them instead.
        return null;
      }
    },
  };
}

/**
 * The Lark directory built on first use (most messages never need it, nor its SDK client): what the composition
 * roots give the command layer as deps.contacts. Offline it says what to do instead.
 */
export function createLazyLarkContactDirectory(config: Config): ContactDirectory {
  let dir: ContactDirectory | undefined;
  return {
    resolve: (keys) => (dir ??= createLarkContactDirectory(config)).resolve(keys),
    nameOf: async (openId) => (dir ??= createLarkContactDirectory(config)).nameOf?.(openId) ?? null,
  };
}

/** A directory from a fixed table, for tests and the sandbox. */
export function createStaticContactDirectory(table: Record<string, string>, names: Record<string, string> = {}): ContactDirectory {
  return {
    async nameOf(openId) {
      return names[openId] ?? null;
    },
    async resolve(keys) {
      return keys.map((k) => ({ key: k, openId: table[k] ?? table[k.toLowerCase()] ?? null }));
    },
  };
}
