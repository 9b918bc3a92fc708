// Runs inside workerd before each test file: migrate this file's (isolated) local D1 with the real migrations/.
import { applyD1Migrations } from 'cloudflare:test';
import { env } from 'cloudflare:workers';

await applyD1Migrations(env.DB, env.TEST_MIGRATIONS);
