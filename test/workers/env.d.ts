// Bindings the workerd test suite sees (wrangler.toml's plus the test-only ones from vitest.workers.config.ts).
import type { D1Migration } from 'cloudflare:test';

declare global {
  namespace Cloudflare {
    interface GlobalProps {
      mainModule: typeof import('../../src/worker.js');
    }
    interface Env {
      DB: D1Database;
      TEST_MIGRATIONS: D1Migration[];
      LARK_BASE_URL: string;
      FAKE_LARK_CONTROL: string;
    }
  }
}

export {};
