// Installs Depthmill the way a published package installs: `npm pack`, then `npm install <tarball>`
// in an empty folder (no clone, no `prepare`, no build), and runs what was installed: `depthmill
// --version`, `models list` and `serve`. npm reaches only the npm registry (dependencies, from its
// cache when it has them); the models come from the machine's model cache (copied, so nothing is
// downloaded again), and the optional model's host is a local stand-in (DEPTHMILL_MODEL_REGISTRY).
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpFixture, type Fixture } from '../helpers/http-fixture.js';
import { baseEnv, pack, run, tarballFiles } from '../helpers/npm.js';
import { copyBundledModels, REPO, tempDir } from '../helpers/server.js';
import { tinyDepthAnything } from '../helpers/tiny-models.js';

const DA = 'depth-anything-v2-small';
const MODEL = tinyDepthAnything();
const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };

/**
 * better-sqlite3's install fetches its prebuilt binary from GitHub, else compiles SQLite (two
 * minutes on two cores). This machine cannot reach GitHub, so the test hands prebuild-install the
 * same binary, built here from the same version for the same Node, as a local prebuild (its
 * `npm_config_<package>_local_prebuilds`). A different resolved version finds no file and builds.
 */
function localPrebuilds(): Record<string, string> {
  const packageDir = dirname(createRequire(join(REPO, 'package.json')).resolve('better-sqlite3/package.json'));
  const { version: sqliteVersion } = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version: string };
  const dir = tempDir('prebuilds');
  const file = `better-sqlite3-v${sqliteVersion}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`;
  execFileSync('tar', ['-czf', join(dir, file), '-C', packageDir, 'build/Release/better_sqlite3.node']);
  return { npm_config_better_sqlite3_local_prebuilds: dir };
}

let host: Fixture;
let tarball: string;
let app: string;
let env: Record<string, string>;
let install: { status: number | null; output: string };
let installSeconds: number;

beforeAll(async () => {
  host = await httpFixture((_request, _body, response) => response.end(MODEL));

  tarball = pack(REPO);

  app = tempDir('app');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
  const modelDir = tempDir('models');
  copyBundledModels(modelDir);
  // The optional model's host, here: the bundled entry with its URL and checksum pointed at the stand-in.
  const bundled = JSON.parse(readFileSync(join(REPO, 'src/models/models.json'), 'utf8')) as Record<string, object>;
  const registry = join(tempDir('registry'), 'models.json');
  writeFileSync(
    registry,
    JSON.stringify({
      [DA]: { ...bundled[DA], source: { url: `${host.url}/${DA}` }, sha256: createHash('sha256').update(MODEL).digest('hex') },
    }),
  );
  env = {
    DEPTHMILL_MODELS: modelDir,
    DEPTHMILL_MODEL_REGISTRY: registry,
    DEPTHMILL_SKIP_MODEL_DOWNLOADS: '',
    // ONNX Runtime's own install script would download CUDA files from NuGet (docs/models-and-quality.md "Models").
    ONNXRUNTIME_NODE_INSTALL: 'skip',
  };

  const started = Date.now();
  install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', tarball], app, {
    ...env,
    ...localPrebuilds(),
  });
  installSeconds = (Date.now() - started) / 1000;
}, 300_000);

afterAll(async () => {
  await host?.close();
});

describe('the packed package, installed in an empty folder', () => {
  it('holds what runs, and neither tests nor benchmarks', () => {
    const files = tarballFiles(tarball);
    expect(files).toEqual(
      expect.arrayContaining([
        'package/bin/depthmill.js',
        'package/dist/cli/main.js',
        'package/dist/web/index.html',
        'package/src/models/models.json',
        'package/src/models/cache-dir.mjs',
        // The SDK workspace, bundled: it is not on a registry, and must never be fetched from one.
        'package/node_modules/@depthmill/client/package.json',
        'package/node_modules/@depthmill/client/dist/contract/index.js',
      ]),
    );
    expect(files.filter((file) => /^package\/(test|bench|web|src\/(?!models\/(models\.json|cache-dir\.mjs)$))/.test(file))).toEqual([]);
  });

  it('installs, with the default models checked and the optional one fetched (its host reachable)', () => {
    expect(install.status, install.output).toBe(0);
    expect(install.output).toMatch(/depthmill: model fastdepth ready/);
    expect(install.output).toMatch(/depthmill: model u2netp ready/);
    expect(install.output).toMatch(new RegExp(`depthmill: model ${DA} installed \\(.*sha256 verified\\)`));
    // The SDK came out of the tarball, not from a registry (where another @depthmill/client could sit).
    const lock = JSON.parse(readFileSync(join(app, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, { inBundle?: boolean; resolved?: string }>;
    };
    const sdk = Object.entries(lock.packages).filter(([path]) => path.endsWith('node_modules/@depthmill/client'));
    expect(sdk).toEqual([['node_modules/depthmill/node_modules/@depthmill/client', expect.objectContaining({ inBundle: true })]]);
    expect(sdk[0]![1].resolved).toBeUndefined();
    console.log(`npm install <tarball>: ${installSeconds.toFixed(1)} s`);
  });

  it('runs depthmill --version and models list', async () => {
    const shown = await run('npx', ['--no', '--', 'depthmill', '--version'], app, env);
    expect(shown.status, shown.output).toBe(0);
    expect(shown.output.trim()).toBe(version);

    const listed = await run(join(app, 'node_modules/.bin/depthmill'), ['models', 'list', '--json'], app, env);
    expect(listed.status, listed.output).toBe(0);
    const rows = new Map((JSON.parse(listed.output) as { name: string; installed: boolean }[]).map((row) => [row.name, row.installed]));
    expect(rows.get('fastdepth')).toBe(true);
    expect(rows.get('u2netp')).toBe(true);
    expect(rows.get(DA)).toBe(true);
  });

  it('serves: the listening line, /healthz and the web UI on 127.0.0.1', async () => {
    const child = spawn(join(app, 'node_modules/.bin/depthmill'), ['serve', '--port', '0'], {
      cwd: app,
      env: { ...baseEnv, ...env, DEPTHMILL_DATA: tempDir('data'), HOST: '127.0.0.1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no listening line within 30 s:\n${output}`)), 30_000);
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString();
          const match = /depthmill listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
          if (match) {
            clearTimeout(timer);
            resolve(match[1]!);
          }
        });
        child.once('error', reject);
        child.once('exit', (code) => reject(new Error(`serve exited with ${code}:\n${output}`)));
      });
      const health = await fetch(`${url}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toMatchObject({ data: { status: 'ok' } });
      const page = await fetch(`${url}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toMatch(/<html/i);
    } finally {
      child.kill('SIGTERM');
      await exited;
    }
  });
});
