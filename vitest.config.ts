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
        // rules, the encoders against their independent readers, the filters and the relief engine
        // on small inputs. A subset of `embedded` (npm test runs them all).
        extends: true,
        test: {
          name: 'unit',
          include: [
            'test/architecture/**/*.test.ts',
            'test/eval/**/*.test.ts',
            'test/formats/{bmp,encode-relief,index,png16,stl,threemf,glb}.test.ts',
            'test/pipeline/{decode,decode-fuzz,filters,fuse,golden,graph-cut,units}.test.ts',
            'test/relief/{bas-relief,lithophane,tin}.test.ts',
            'test/models/{adapters,best-model}.test.ts',
            'test/cli/inputs.test.ts',
          ],
        },
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
