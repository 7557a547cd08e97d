// A fresh install where Depth Anything V2 Small could not be fetched (only the bundled models, no
// pins): FastDepth serves, and the start-up log, `models list` and the API the web UI reads each say
// in one line that Depth Anything V2 Small gives much better depth, and the command that installs it.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { token } from '../helpers/api.js';
import { cliAsync, copyBundledModels, createClientCredentials, startServer, tempDir, type TestServer } from '../helpers/server.js';

const HINT =
  'FastDepth serves model_type base and pro: Depth Anything V2 Small gives much better depth; install it with `npx depthmill models pull depth-anything-v2-small` and restart the server';

let modelDir: string;
let env: Record<string, string>;
let server: TestServer | undefined;

beforeAll(() => {
  modelDir = tempDir('models');
  copyBundledModels(modelDir);
  // No pins: what a user gets from `npm ci` when the model host was unreachable.
  env = { DEPTHMILL_MODELS: modelDir, DEPTHMILL_MODEL_BASE: '', DEPTHMILL_MODEL_PRO: '' };
});

afterAll(async () => {
  await server?.stop();
});

it('the start-up log says it, and GET /open-api/v1/depth/models gives the line to the web UI', async () => {
  server = await startServer({ env: { ...env, DEPTHMILL_LOG_LEVEL: 'info' } });
  const lines = server
    .output()
    .split('\n')
    .filter((line) => line.includes('much better depth'));
  expect(lines.map((line) => (JSON.parse(line) as { msg: string }).msg)).toEqual([HINT]);

  const { clientId, clientSecret } = createClientCredentials(server.dataDir);
  const response = await fetch(`${server.url}/open-api/v1/depth/models`, {
    headers: { authorization: `Bearer ${await token(server.url, clientId, clientSecret)}` },
  });
  expect(await response.json()).toEqual({ code: 200, data: { base: 'fastdepth', pro: 'fastdepth', hint: HINT }, msg: 'success' });
  expect((await fetch(`${server.url}/open-api/v1/depth/models`)).status).toBe(401);
});

it('models list says it, and stops saying it once the better model is there', async () => {
  const listed = await cliAsync(['models', 'list'], env);
  expect(listed.status, listed.stderr).toBe(0);
  expect(listed.stdout.trimEnd().split('\n').at(-1)).toBe(HINT);
  // The JSON rows keep their shape.
  expect((await cliAsync(['models', 'list', '--json'], env)).stdout).not.toMatch(/much better/);

  // Its file in the folder (models list checks presence only): it serves both, nothing to say.
  writeFileSync(join(modelDir, 'depth-anything-v2-small.onnx'), 'stand-in');
  const after = await cliAsync(['models', 'list'], env);
  expect(after.stdout).toMatch(/^\s+depth-anything-v2-small\s.*\[serves base, pro,/m);
  expect(after.stdout).not.toMatch(/much better depth/);
});
