// The install step's fetch of the optional models (scripts/fetch-optional-models.mjs, what `npm ci`
// runs after the build) against a local HTTP server standing in for the model host: the registry
// entries marked fetchAtInstall are pointed at it with DEPTHMILL_MODEL_REGISTRY, so no test reaches
// a real model host. Then the server picks the fetched model by itself and query-task names it.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepthmillClient } from '@depthmill/client';
import { createTask, form, token, waitForTask } from '../helpers/api.js';
import { httpFixture, type Fixture } from '../helpers/http-fixture.js';
import { cliAsync, copyBundledModels, createClientCredentials, nodeAsync, REPO, startServer, tempDir } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';
import { tinyDepthAnything } from '../helpers/tiny-models.js';

const MODEL = tinyDepthAnything();
const SHA = createHash('sha256').update(MODEL).digest('hex');
const SCRIPT = join(REPO, 'scripts/fetch-optional-models.mjs');
const bundled = JSON.parse(readFileSync(join(REPO, 'src/models/models.json'), 'utf8')) as Record<
  string,
  { fetchAtInstall?: boolean; file: string }
>;
const OPTIONAL = Object.keys(bundled).filter((name) => bundled[name]!.fetchAtInstall);
const DA = 'depth-anything-v2-small';

let host: Fixture;
const requests: { url: string; range: string | undefined }[] = [];
const cut = new Set<string>();

/** A registry that sends every install-time model to `base` (the local host) with this checksum. */
function registryFile(base: string, sha256: string): string {
  const entries = Object.fromEntries(OPTIONAL.map((name) => [name, { ...bundled[name], source: { url: `${base}/${name}` }, sha256 }]));
  const path = join(tempDir('registry'), 'models.json');
  writeFileSync(path, JSON.stringify(entries));
  return path;
}

/** What `npm ci` runs after the build, with downloads allowed (the suite's default skips them). */
async function installStep(registry: string, modelDir: string, extra: Record<string, string> = {}) {
  const started = Date.now();
  const result = await nodeAsync([SCRIPT], {
    DEPTHMILL_SKIP_MODEL_DOWNLOADS: '',
    DEPTHMILL_MODEL_REGISTRY: registry,
    DEPTHMILL_MODELS: modelDir,
    ...extra,
  });
  const notes = `${result.stdout}${result.stderr}`.split('\n').filter((line) => /not fetched|NOT installed/.test(line));
  return { ...result, notes, ms: Date.now() - started };
}

beforeAll(async () => {
  expect(OPTIONAL).toContain(DA);
  host = await httpFixture((request, _body, response) => {
    requests.push({ url: request.url!, range: request.headers.range });
    const start = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? '')?.[1] ?? 0);
    const body = MODEL.subarray(start);
    response.writeHead(start > 0 ? 206 : 200, {
      'content-length': String(body.length),
      ...(start > 0 ? { 'content-range': `bytes ${start}-${MODEL.length - 1}/${MODEL.length}` } : {}),
    });
    const prefix = request.url!.split('/')[1]!;
    if (cut.has(prefix) && start === 0) {
      // The connection drops half-way through the file.
      cut.delete(prefix);
      response.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => response.socket?.destroy(), 200));
      return;
    }
    response.end(body);
  });
});

afterAll(async () => {
  await host?.close();
});

describe('install step: optional models', () => {
  it('fetches Depth Anything V2 Small, checks it, and keeps it on the next install without a request', async () => {
    const modelDir = tempDir('models');
    const registry = registryFile(`${host.url}/ok`, SHA);
    const first = await installStep(registry, modelDir);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toMatch(new RegExp(`model ${DA} installed .*sha256 verified`));
    expect(readFileSync(join(modelDir, bundled[DA]!.file)).equals(MODEL)).toBe(true);
    expect(readdirSync(modelDir).filter((file) => file.endsWith('.partial'))).toEqual([]);

    const before = requests.length;
    const again = await installStep(registry, modelDir);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(new RegExp(`model ${DA} ready`));
    expect(requests.length).toBe(before);
  });

  it('resumes with an HTTP Range request after the connection dropped mid-file', async () => {
    const modelDir = tempDir('models');
    const registry = registryFile(`${host.url}/cut`, SHA);
    cut.add('cut');
    const first = await installStep(registry, modelDir);
    expect(first.status).toBe(0); // never fails `npm ci`
    expect(first.notes).toHaveLength(1);
    expect(first.notes[0]).toMatch(new RegExp(`${DA} not fetched .*stopped after \\d+ bytes.*npx depthmill models pull ${DA}`));
    expect(existsSync(join(modelDir, bundled[DA]!.file))).toBe(false);
    const partial = readFileSync(join(modelDir, `${bundled[DA]!.file}.partial`));
    expect(partial.length).toBeGreaterThan(0);
    expect(partial.length).toBeLessThan(MODEL.length);

    const second = await installStep(registry, modelDir);
    expect(second.status).toBe(0);
    expect(second.notes).toEqual([]);
    expect(requests.at(-1)).toEqual({ url: `/cut/${DA}`, range: `bytes=${partial.length}-` });
    expect(readFileSync(join(modelDir, bundled[DA]!.file)).equals(MODEL)).toBe(true);
  });

  it('installs nothing when the checksum does not match, and says so in one line: what was expected, what serves, how to retry', async () => {
    // What a re-upload at the host looks like: the host answers, with another file.
    const modelDir = tempDir('models');
    const result = await installStep(registryFile(`${host.url}/wrong`, 'f'.repeat(64)), modelDir);
    expect(result.status).toBe(0);
    expect(result.notes).toHaveLength(1);
    expect(result.notes[0]).toMatch(
      new RegExp(
        `^depthmill: optional model ${DA} NOT installed: the file from ${host.url}/wrong/${DA} failed its checksum ` +
          `\\(expected sha256 f{64}, got ${SHA}\\), so nothing was installed and depth stays on fastdepth; ` +
          `retry with \`npx depthmill models pull ${DA}\``,
      ),
    );
    expect(readdirSync(modelDir)).toEqual([]);
  });

  it('says so in one line, at once, when the host cannot be reached', async () => {
    // A loopback port nobody listens on: connection refused, as with a host that does not resolve.
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const modelDir = tempDir('models');
    const result = await installStep(registryFile(`http://127.0.0.1:${port}`, SHA), modelDir);
    expect(result.status).toBe(0);
    expect(result.notes).toHaveLength(1);
    expect(result.notes[0]).toMatch(
      new RegExp(`${DA} not fetched .*could not reach 127\\.0\\.0\\.1:${port} \\(.*ECONNREFUSED.*npx depthmill models pull ${DA}`),
    );
    expect(result.ms).toBeLessThan(4_000); // under the 5 s connect timeout: no waiting at all
    expect(readdirSync(modelDir)).toEqual([]);
  });

  it('makes no request at all with DEPTHMILL_SKIP_MODEL_DOWNLOADS=1', async () => {
    const modelDir = tempDir('models');
    const before = requests.length;
    const result = await installStep(registryFile(`${host.url}/ok`, SHA), modelDir, { DEPTHMILL_SKIP_MODEL_DOWNLOADS: '1' });
    expect(result.status).toBe(0);
    expect(result.notes).toHaveLength(1);
    expect(result.notes[0]).toMatch(
      new RegExp(`${DA} not fetched \\(DEPTHMILL_SKIP_MODEL_DOWNLOADS is set\\).*npx depthmill models pull ${DA}`),
    );
    expect(requests.length).toBe(before);
    expect(readdirSync(modelDir)).toEqual([]);
  });

  it('refuses a registry entry marked fetchAtInstall that could not be verified', async () => {
    const path = join(tempDir('registry'), 'models.json');
    writeFileSync(path, JSON.stringify({ unpinned: { ...bundled[DA], file: 'unpinned.onnx', sha256: null } }));
    const result = await cliAsync(['models', 'list'], { DEPTHMILL_MODEL_REGISTRY: path });
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/model entry "unpinned" is malformed/);
  });
});

describe('the best installed model', () => {
  let modelDir: string;
  let env: Record<string, string>;

  beforeAll(async () => {
    modelDir = tempDir('models');
    copyBundledModels(modelDir);
    const registry = registryFile(`${host.url}/ok`, SHA);
    expect((await installStep(registry, modelDir)).status).toBe(0);
    // No pins: the choice is the server's (the suite pins fastdepth for every other test).
    env = { DEPTHMILL_MODELS: modelDir, DEPTHMILL_MODEL_REGISTRY: registry, DEPTHMILL_MODEL_BASE: '', DEPTHMILL_MODEL_PRO: '' };
  });

  it('models list marks which model serves base, pro and the mask', async () => {
    const listed = await cliAsync(['models', 'list', '--json'], env);
    expect(listed.status, listed.stderr).toBe(0);
    const rows = new Map((JSON.parse(listed.stdout) as { name: string; serves: string[] }[]).map((row) => [row.name, row.serves]));
    expect(rows.get(DA)).toEqual(['base', 'pro']);
    expect(rows.get('fastdepth')).toEqual([]);
    expect(rows.get('u2netp')).toEqual(['mask']);

    const pinned = await cliAsync(['models', 'list'], { ...env, DEPTHMILL_MODEL_BASE: 'fastdepth' });
    expect(pinned.stdout).toMatch(new RegExp(`^\\s+${DA}\\s.*\\[serves pro,`, 'm'));
    expect(pinned.stdout).toMatch(/^\s+fastdepth\s.*\[serves base, default,/m);
  });

  it('serves every model_type with it unless one is pinned, logs which, and query-task names it', async () => {
    const running = await startServer({ env: { ...env, DEPTHMILL_MODEL_BASE: 'fastdepth', DEPTHMILL_LOG_LEVEL: 'info' } });
    try {
      const log = () => running.output();
      expect(log()).toMatch(new RegExp(`"model_type pro: depth model ${DA} \\(Apache-2.0\\)"`));
      expect(log()).toMatch(/"model_type base: depth model fastdepth \(MIT\)"/);
      expect(log()).toMatch(/"background removal \(rmbg=1\): mask model u2netp \(Apache-2.0\)"/);
      // The better model is here: FastDepth serves base only because it is pinned, so no hint to install it.
      expect(log()).not.toMatch(/much better depth/);

      const { clientId, clientSecret } = createClientCredentials(running.dataDir);
      const accessToken = await token(running.url, clientId, clientSecret);
      const photo = readPhoto('opencv_orange.jpg');
      const made: Record<string, unknown> = {};
      for (const modelType of ['pro', 'base']) {
        const created = await createTask(
          running.url,
          accessToken,
          form({ format: '2', rmbg: '0', model_type: modelType }, [{ bytes: photo }]),
        );
        const done = await waitForTask(running.url, accessToken, created.body.data.task_id);
        expect(done.body.data.state, done.body.msg).toBe('success');
        made[modelType] = done.body.data.depth_model;
        if (modelType === 'pro') {
          // The SDK reads it too.
          const client = new DepthmillClient({ baseUrl: running.url, clientId, clientSecret });
          expect((await client.queryTask(created.body.data.task_id)).depthModel).toBe(DA);
        }
      }
      expect(made).toEqual({ pro: DA, base: 'fastdepth' });
    } finally {
      await running.stop();
    }
  });
});
