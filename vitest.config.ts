import { defineConfig } from 'vitest/config';
import SummaryReporter from './test/summary-reporter.js';

// Node-side test suite. Workers tests (test/workers) run in workerd through their own config.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    exclude: ['test/workers/**', 'node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    pool: 'forks',
    globalSetup: ['test/global-setup.ts'],
    reporters: ['default', new SummaryReporter('node')],
  },
});
