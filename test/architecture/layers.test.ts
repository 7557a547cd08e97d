// The layers of docs/ARCHITECTURE.md are the linter's rules (eslint.config.js), and `npm test`
// runs the linter: here, that a file breaking a layer is refused by it, and one keeping to its
// layer is not.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/server.js';

const eslint = new ESLint({ cwd: REPO });

/** The import rule's messages for a file at `path` (under src/) holding only `import ... from spec`. */
async function importRefusals(path: string, spec: string): Promise<string[]> {
  const [result] = await eslint.lintText(`export * from '${spec}';\nimport '${spec}';\n`, { filePath: join(REPO, 'src', path) });
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
    ['contract/new-field.ts', '../pipeline/decode.js'],
  ])('refuses %s importing %s', async (path, spec) => {
    const refusals = await importRefusals(path, spec);
    expect(refusals).toHaveLength(2); // the export and the import
    expect(refusals[0]).toMatch(/ARCHITECTURE\.md/);
  });

  it.each([
    ['pipeline/new-stage.ts', '../contract/errors.js'],
    ['pipeline/new-stage.ts', '../relief/components.js'],
    ['formats/new-format.ts', '../pipeline/depth-map.js'],
    ['tasks/new-step.ts', '../contract/task.js'],
    ['tasks/new-step.ts', './ports.js'],
    ['client/new-call.ts', '../contract/task.js'],
    ['contract/new-field.ts', './errors.js'],
    ['api/new-route.ts', '../tasks/task-service.js'],
  ])('lets %s import %s', async (path, spec) => {
    expect(await importRefusals(path, spec)).toEqual([]);
  });
});
