// Workers test suite: test/workers/** run inside workerd (@cloudflare/vitest-pool-workers) against a local D1
// migrated with the real migrations/ folder, with src/worker.ts as the main worker.
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-pool-workers';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/summary-reporter.js';

declare module 'vitest' {
  interface ProvidedContext {
    /** Base URL of the fake Feishu Open API started by test/workers/global-setup.ts. */
    fakeLarkUrl: string;
    /** Read-only view of what the fake recorded (GET /requests, GET /messages). */
    fakeLarkControl: string;
  }
}

const migrationsDir = fileURLToPath(new URL('./migrations', import.meta.url));

export default defineConfig({
  plugins: [
    cloudflareTest(async ({ inject }) => ({
      main: './src/worker.ts',
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        // Test-only: the Lark SDK module is bigger than workerd's default 1 MiB message limit between the pool
        // and the runtime. This flag cannot be deployed, so it stays out of wrangler.toml.
        compatibilityFlags: ['nodejs_compat', 'increase_websocket_message_size'],
        bindings: {
          TEST_MIGRATIONS: await readD1Migrations(migrationsDir),
          // The fake Feishu Open API runs in Node (globalSetup) on 127.0.0.1; the worker reaches it by URL.
          LARK_BASE_URL: inject('fakeLarkUrl'),
          FAKE_LARK_CONTROL: inject('fakeLarkControl'),
          // Must match FAKE_APP_ID / FAKE_APP_SECRET in test/workers/global-setup.ts.
          LARK_APP_ID: 'cli_workers_test',
          LARK_APP_SECRET: 'workers_test_secret',
          LARK_VERIFICATION_TOKEN: 'workers_verification_token',
          LARK_ENCRYPT_KEY: 'workers encrypt key',
          LOG_LEVEL: 'silent',
        },
      },
    })),
  ],
  test: {
    include: ['test/workers/**/*.test.ts'],
    globalSetup: ['./test/workers/global-setup.ts'],
    setupFiles: ['./test/workers/apply-migrations.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default', new SummaryReporter('workers')],
  },
});
