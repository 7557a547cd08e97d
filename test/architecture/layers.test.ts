// The layers of docs/ARCHITECTURE.md are the linter's rules (eslint.config.js), and `npm test`
// runs the linter: here, that a file breaking a layer is refused by it, and one keeping to its
// layer is not.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/server.js';

// The files linted here are made up (src/pipeline/new-stage.ts...): the type-aware rules, which see
// only files of the tsconfig (test/architecture/async-lint.test.ts checks them), are off for them.
const eslint = new ESLint({
  cwd: REPO,
  overrideConfig: {
    languageOptions: { parserOptions: { projectService: false } },
    rules: { '@typescript-eslint/no-floating-promises': 'off', '@typescript-eslint/no-misused-promises': 'off' },
  },
});

/** The import rule's messages for a file at `path` (under src/) holding only `import ... from spec`. */
async function importRefusals(path: string, spec: string, root = 'src'): Promise<string[]> {
  const [result] = await eslint.lintText(`export * from '${spec}';\nimport '${spec}';\n`, { filePath: join(REPO, root, path) });
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('the layers, as the linter enforces them', () => {
  it.each([
    ['pipeline/new-stage.ts', '../api/errors.js'],
    ['formats/new-format.ts', '../tasks/ports.js'],
    ['relief/new-engine.ts', '../adapters/rows.js'],
    ['tasks/new-step.ts', '../api/app.js'],
    ['tasks/new-step.ts', '../pipeline/run.js'],
    ['client/new-call.ts', '../tasks/clients.js'],
    ['client/new-call.ts', '../render.js'],
    ['client/new-call.ts', '../contract/task.js'],
    ['contract/new-field.ts', '../raster/decode.js'],
    // The image and mesh code, one way only: raster <- models <- pipeline; relief and formats
    // read a depth map from raster/, never from the pipeline that makes it.
    ['raster/new-filter.ts', '../models/sessions.js'],
    ['raster/new-filter.ts', '../pipeline/run.js'],
    ['raster/new-filter.ts', '../relief/mesh.js'],
    ['models/new-model.ts', '../pipeline/depth.js'],
    ['models/cache-rule.mjs', '../pipeline/run.js'], // the plain-JavaScript module the install hook shares
    ['pipeline/new-stage.ts', '../relief/heightfield.js'],
    ['pipeline/new-stage.ts', '../formats/index.js'],
    ['relief/new-engine.ts', '../pipeline/run.js'],
    ['relief/new-engine.ts', '../models/sessions.js'],
    ['relief/new-engine.ts', '../formats/stl.js'],
    ['formats/new-format.ts', '../pipeline/run.js'],
    ['formats/new-format.ts', '../models/model-cache.js'],
    ['formats/new-format.ts', '../relief/heightfield.js'],
    ['formats/new-format.ts', '../relief/mesh.js.bak'],
  ])('refuses %s importing %s', async (path, spec) => {
    const refusals = await importRefusals(path, spec);
    expect(refusals).toHaveLength(2); // the export and the import
    expect(refusals[0]).toMatch(/ARCHITECTURE\.md/);
  });

  it.each([
    ['pipeline/new-stage.ts', '../contract/errors.js'],
    ['raster/new-filter.ts', '../contract/errors.js'],
    ['raster/new-filter.ts', './plane.js'],
    ['models/new-model.ts', '../raster/decode.js'],
    ['models/new-model.ts', './cache-dir.mjs'],
    ['pipeline/new-stage.ts', '../raster/components.js'],
    ['pipeline/new-stage.ts', '../models/sessions.js'],
    ['relief/new-engine.ts', '../raster/depth-map.js'],
    ['formats/new-format.ts', '../raster/depth-map.js'],
    ['formats/new-format.ts', '../relief/mesh.js'],
    ['formats/new-format.ts', '../contract/depth-metadata.js'],
    ['tasks/new-step.ts', '../contract/task.js'],
    ['tasks/new-step.ts', './ports.js'],
    ['contract/new-field.ts', './errors.js'],
    ['contract/new-field.ts', '@depthmill/client/contract'],
    ['tasks/new-step.ts', '@depthmill/client/contract'],
    ['client/index.ts', '@depthmill/client'],
    ['api/new-route.ts', '../tasks/task-service.js'],
  ])('lets %s import %s', async (path, spec) => {
    expect(await importRefusals(path, spec)).toEqual([]);
  });
});

// The SDK package installs alone (test/client/sdk-package.test.ts): nothing of the server, and no
// dependency but @noble/hashes and fflate, reaches it.
describe('the SDK package (packages/client), as the linter enforces it', () => {
  it.each([
    ['client.ts', '../package.json'],
    ['contract/new-field.ts', '../../src/tasks/clients.js'],
    ['client.ts', 'depthmill'],
    ['contract/new-field.ts', 'zod'],
    ['contract/new-field.ts', '../client.js'],
    ['new-call.ts', 'undici'],
    ['new-call.ts', 'node:fs'],
    ['contract/callback-signature.ts', 'node:crypto'],
    ['contract/callback-signature.ts', '@noble/curves/ed25519.js'],
  ])('refuses %s importing %s', async (path, spec) => {
    const refusals = await importRefusals(path, spec, 'packages/client/src');
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toMatch(/ARCHITECTURE\.md/);
  });

  it.each([
    ['client.ts', './contract/task-fields.js'],
    ['contract/new-field.ts', './formats.js'],
    ['contract/callback-signature.ts', '@noble/hashes/hmac.js'],
    ['backlight.ts', 'fflate'],
  ])('lets %s import %s', async (path, spec) => {
    expect(await importRefusals(path, spec, 'packages/client/src')).toEqual([]);
  });
});
