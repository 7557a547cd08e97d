import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real servers and run real models on 2 cores: run files one by one.
    fileParallelism: false,
    // No test may reach a model host, and none may depend on what this machine has downloaded:
    // the install step fetches nothing, and the depth models are the bundled default unless a test
    // says otherwise (the automatic choice of the best installed model has its own tests).
    env: { DEPTHMILL_SKIP_MODEL_DOWNLOADS: '1', DEPTHMILL_MODEL_BASE: 'fastdepth', DEPTHMILL_MODEL_PRO: 'fastdepth' },
    projects: [
      {
        extends: true,
        test: { name: 'embedded', include: ['test/**/*.test.ts'], exclude: ['test/distributed/**'] },
      },
      {
        // `npm run test:unit`: the fast loop. No server, database, browser or network: the layer
        // rules, the evaluation's measures, and every file named *.unit.test.ts (the encoders against
        // their independent readers, the filters and the relief engine on small inputs). A subset of
        // `embedded` (npm test runs them all): name a new test that needs none of those *.unit.test.ts.
        extends: true,
        test: {
          name: 'unit',
          include: ['test/architecture/**/*.test.ts', 'test/eval/**/*.test.ts', 'test/**/*.unit.test.ts'],
        },
      },
      {
        // The same API contract suite, unchanged, against PostgreSQL, Redis/BullMQ and S3, plus the
        // multi-process tests that only make sense there.
        extends: true,
        test: {
          name: 'distributed',
          include: ['test/api/**/*.test.ts', 'test/distributed/**/*.test.ts'],
          // HTTPS is the HTTP layer's alone, the same whatever the backend (and S3 serves its own links).
          exclude: ['test/api/tls.test.ts'],
          env: { DEPTHMILL_TEST_BACKEND: 'distributed' },
          globalSetup: ['test/distributed/setup.ts'],
        },
      },
      {
        // The API contract over HTTPS: the same files, unchanged, against servers started with a
        // self-signed certificate made for the run; the tests' fetch and the CLI trust it, with
        // certificate checks on. The files of test/api/wire/: they speak to the server only through
        // the helpers' fetch (no raw sockets or hand-written http:// URLs to it), and their answers
        // carry links (download, callback), or are the balance and progress Hitem3D clients read.
        // Other files of test/api/ that speak only fetch would pass too but repeat the wire.
        // test/api/tls.test.ts checks what only HTTPS has (refusals, HTTP/1.1, timeouts).
        extends: true,
        test: {
          name: 'https',
          include: ['test/api/wire/**/*.test.ts'],
          env: { DEPTHMILL_TEST_TLS: '1' },
          globalSetup: ['test/https/setup.ts'],
          setupFiles: ['test/https/trust.ts'],
        },
      },
    ],
  },
});
