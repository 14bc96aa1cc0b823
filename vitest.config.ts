import { defineConfig } from 'vitest/config';

// The machine has 2 cores: two forks keep the suite quick without starving the
// emulator servers that integration tests start on 127.0.0.1.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
    reporters: ['default', './test/summary-reporter.ts'],
    // One PostgreSQL cluster for the run, started by the first file that needs it (test/helpers/postgres.ts).
    globalSetup: ['./test/helpers/pg-global-setup.ts'],
  },
});
