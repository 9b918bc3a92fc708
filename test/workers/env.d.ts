// Types for the workerd test suite, checked by the root tsconfig (Node types) like everything else.
// @cloudflare/workers-types' global declarations clash with @types/node, so this declares only the parts of
// `cloudflare:test` / `cloudflare:workers` these tests use, on the package's importable (module) types.
declare module 'cloudflare:test' {
  import type { D1Database, ExecutionContext, ScheduledController } from '@cloudflare/workers-types';
  export interface D1Migration {
    name: string;
    queries: string[];
  }
  export function applyD1Migrations(db: D1Database, migrations: D1Migration[], table?: string): Promise<void>;
  export function createExecutionContext(): ExecutionContext;
  export function waitOnExecutionContext(ctx: ExecutionContext): Promise<void>;
  export function createScheduledController(options?: { scheduledTime?: number | Date; cron?: string }): ScheduledController;
}

declare module 'cloudflare:workers' {
  import type { D1Database } from '@cloudflare/workers-types';
  import type { D1Migration } from 'cloudflare:test';
  /** The bindings: wrangler.toml's plus the test-only ones from vitest.workers.config.ts. */
  export const env: {
    DB: D1Database;
    TEST_MIGRATIONS: D1Migration[];
    LARK_BASE_URL: string;
    FAKE_LARK_CONTROL: string;
    [key: string]: unknown;
  };
  /** Loopback to the main worker (src/worker.ts). */
  export const exports: { default: { fetch(input: string | Request, init?: RequestInit): Promise<Response> } };
}
