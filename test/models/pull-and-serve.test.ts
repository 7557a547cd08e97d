// `depthmill models pull | verify | list` against a local HTTP server (progress, resume after a cut
// connection, checksums), then a server that maps model_type pro to the pulled model.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, download, form, token, waitForTask } from '../helpers/api.js';
import { httpFixture, type Fixture } from '../helpers/http-fixture.js';
import { cliAsync, copyBundledModels, createClientCredentials, startServer, tempDir } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';
import { tinyDepthAnything } from '../helpers/tiny-models.js';

const MODEL = tinyDepthAnything();
const SHA = createHash('sha256').update(MODEL).digest('hex');

let server: Fixture;
const ranges: (string | undefined)[] = [];
let cutNextDownload = true;
let modelDir: string;
let env: Record<string, string>;

function entry(url: string, sha256: string | null) {
  const daInput = {
    name: 'pixel_values',
    width: 518,
    height: 518,
    layout: 'NCHW',
    range: '0..1',
    mean: [0.485, 0.456, 0.406],
    std: [0.229, 0.224, 0.225],
    sizing: 'keep-aspect',
    multipleOf: 14,
  };
  return {
    task: 'depth',
    file: `${url.split('/').pop()}-${sha256 ? 'pinned' : 'unpinned'}.onnx`,
    sha256,
    source: { url },
    input: daInput,
    output: { kind: 'disparity', name: 'predicted_depth', description: 'tiny test model' },
    licence: 'MIT',
  };
}

function models(args: string[]) {
  return cliAsync(['models', ...args], env);
}

beforeAll(async () => {
  server = await httpFixture((request, _body, response) => {
    ranges.push(request.headers.range);
    const start = Number(/^bytes=(\d+)-$/.exec(request.headers.range ?? '')?.[1] ?? 0);
    const body = MODEL.subarray(start);
    response.writeHead(start > 0 ? 206 : 200, {
      'content-length': String(body.length),
      ...(start > 0 ? { 'content-range': `bytes ${start}-${MODEL.length - 1}/${MODEL.length}` } : {}),
    });
    if (cutNextDownload && start === 0) {
      // The first try loses its connection half-way, as a flaky network does.
      cutNextDownload = false;
      response.write(body.subarray(0, Math.floor(body.length / 2)), () => setTimeout(() => response.socket?.destroy(), 300));
      return;
    }
    response.end(body);
  });
  modelDir = tempDir('models');
  const registry = join(tempDir('registry'), 'models.json');
  writeFileSync(
    registry,
    JSON.stringify({
      'tiny-da': entry(`${server.url}/tiny-da`, SHA),
      'tiny-wrong': entry(`${server.url}/tiny-wrong`, 'f'.repeat(64)),
      'tiny-unpinned': entry(`${server.url}/tiny-unpinned`, null),
    }),
  );
  // The bundled models are needed too when the server starts.
  copyBundledModels(modelDir);
  env = { DEPTHMILL_MODELS: modelDir, DEPTHMILL_MODEL_REGISTRY: registry };
});

afterAll(async () => {
  await server?.close();
});

describe('models pull', () => {
  it('resumes a cut-off download where it stopped, shows progress, and verifies the checksum', async () => {
    const first = await models(['pull', 'tiny-da']);
    expect(first.status).not.toBe(0);
    expect(first.stderr).toMatch(/pulling tiny-da/);
    expect(existsSync(join(modelDir, 'tiny-da-pinned.onnx'))).toBe(false);

    const second = await models(['pull', 'tiny-da', '--json']);
    expect(second.status, second.stderr).toBe(0);
    const result = JSON.parse(second.stdout) as { sha256: string; bytes: number; resumed_from: number };
    expect(result.sha256).toBe(SHA);
    expect(result.bytes).toBe(MODEL.length);
    expect(result.resumed_from).toBeGreaterThan(0);
    expect(ranges.at(-1)).toBe(`bytes=${result.resumed_from}-`);
    expect(second.stderr).toMatch(/100%/);
    expect(second.stderr).toMatch(/resumed at/);
    expect(readFileSync(join(modelDir, 'tiny-da-pinned.onnx')).equals(MODEL)).toBe(true);

    const verify = await models(['verify', 'tiny-da']);
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/^ok\s+tiny-da/m);
  });

  it('installs nothing when the checksum does not match', async () => {
    const result = await models(['pull', 'tiny-wrong']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(/failed its checksum: expected sha256 f{64}, got [0-9a-f]{64}; nothing was installed/);
    expect(readdirSync(modelDir).filter((file) => file.startsWith('tiny-wrong'))).toEqual([]);
  });

  it('asks for a checksum when the registry has none, then pins the one given', async () => {
    const refused = await models(['pull', 'tiny-unpinned']);
    expect(refused.status).not.toBe(0);
    expect(refused.stderr).toMatch(/--sha256/);

    expect((await models(['pull', 'tiny-unpinned', '--sha256', 'a'.repeat(64)])).status).not.toBe(0);
    const pinned = await models(['pull', 'tiny-unpinned', '--sha256', SHA]);
    expect(pinned.status, pinned.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(modelDir, 'pins.json'), 'utf8'))).toEqual({ 'tiny-unpinned': SHA });
    expect((await models(['verify', 'tiny-unpinned'])).status).toBe(0);
  });

  it('lists models with their state and licence, and verify catches a damaged file', async () => {
    const listed = JSON.parse((await models(['list', '--json'])).stdout) as {
      name: string;
      installed: boolean;
      commercial_use: boolean;
      default: boolean;
    }[];
    const byName = new Map(listed.map((row) => [row.name, row]));
    expect(byName.get('fastdepth')).toMatchObject({ installed: true, default: true });
    expect(byName.get('tiny-da')).toMatchObject({ installed: true, default: false });
    expect(byName.get('depth-anything-v2-small')).toMatchObject({ installed: false });
    expect(byName.get('depth-anything-v2-large')).toMatchObject({ commercial_use: false });

    const damaged = Buffer.from(MODEL);
    damaged.writeUInt8(damaged.at(-1)! ^ 0xff, damaged.length - 1);
    writeFileSync(join(modelDir, 'tiny-da-pinned.onnx'), damaged);
    const verify = await models(['verify']);
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/^MISMATCH\s+tiny-da/m);
    expect(verify.stdout).toMatch(/^ok\s+fastdepth/m);
    writeFileSync(join(modelDir, 'tiny-da-pinned.onnx'), MODEL);
  });
});

describe('model_type to model mapping', () => {
  it('runs pro tasks on the configured model and base on the bundled default', async () => {
    const running = await startServer({ env: { ...env, DEPTHMILL_MODEL_PRO: 'tiny-da' } });
    try {
      const { clientId, clientSecret } = createClientCredentials(running.dataDir);
      const accessToken = await token(running.url, clientId, clientSecret);
      const photo = readPhoto('opencv_orange.jpg');
      const results = [];
      for (const modelType of ['pro', 'base']) {
        const created = await createTask(
          running.url,
          accessToken,
          form({ format: '2', rmbg: '0', model_type: modelType }, [{ bytes: photo }]),
        );
        const done = await waitForTask(running.url, accessToken, created.body.data.task_id);
        expect(done.body.data.state, done.body.msg).toBe('success');
        results.push((await download(done.body.data.url!)).bytes);
      }
      expect(results[0]!.equals(results[1]!)).toBe(false);
    } finally {
      await running.stop();
    }
  });

  it('refuses to start with an unknown or uninstalled model, saying what to do', async () => {
    await expect(startServer({ env: { ...env, DEPTHMILL_MODEL_PRO: 'no-such-model' } })).rejects.toThrow(/unknown model "no-such-model"/);
    await expect(startServer({ env: { ...env, DEPTHMILL_MODEL_BASE: 'depth-anything-v2-small' } })).rejects.toThrow(
      /not installed.*models/s,
    );
    await expect(startServer({ env: { ...env, DEPTHMILL_MODEL_PRO: 'u2netp' } })).rejects.toThrow(/not a depth model/);
  });
});
