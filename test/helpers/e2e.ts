// Shared by the end-to-end tests that run the Node service against the fake Feishu server: the service's
// environment for that setup, and a poll for something the service does after the ack.

/** The environment of a Node service on `file`, talking to the fake Feishu server at `fakeUrl`, verifying requests. */
export function fakeFeishuServiceEnv(
  file: string,
  fakeUrl: string,
  secrets: { token: string; key: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    DATABASE_PATH: file,
    PORT: '0',
    HOST: '127.0.0.1',
    PLAN_AUTOLOAD: 'false',
    LOG_LEVEL: 'silent',
    LARK_APP_ID: 'cli_fake_app',
    LARK_APP_SECRET: 'fake_secret',
    LARK_BASE_URL: fakeUrl,
    LARK_VERIFICATION_TOKEN: secrets.token,
    LARK_ENCRYPT_KEY: secrets.key,
    ...extra,
  };
}

/** Poll `get` every 20 ms until it gives a value (processing runs after the ack); fails after `ms`. */
export async function waitFor<T>(get: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
  for (let waited = 0; waited < ms; waited += 20) {
    const v = await get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('timed out waiting');
}
