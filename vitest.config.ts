import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real servers and run real models on 2 cores: run files one by one.
    fileParallelism: false,
    projects: [
      {
        extends: true,
        test: { name: 'embedded', include: ['test/**/*.test.ts'], exclude: ['test/distributed/**'] },
      },
      {
        // The same API contract suite, unchanged, against PostgreSQL, Redis/BullMQ and S3, plus the
        // multi-process tests that only make sense there.
        extends: true,
        test: {
          name: 'distributed',
          include: ['test/api/**/*.test.ts', 'test/distributed/**/*.test.ts'],
          env: { DEPTHMILL_TEST_BACKEND: 'distributed' },
          globalSetup: ['test/distributed/setup.ts'],
        },
      },
    ],
  },
});
