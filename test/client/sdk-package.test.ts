// The SDK as its own package (@depthmill/client, packages/client): packed, installed alone in an
// empty folder with npm's scripts on and no registry at all (--offline), it brings only
// @noble/hashes (callback signatures) and fflate (reading a 3MF back), both pure JavaScript: no
// native module, no server dependency. The program a user writes with it then talks to a real
// server, verifies a callback signed the way the README tells receivers to check one (here with
// node:crypto), and its types check without Node's.
import { createHmac } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { photo } from '../helpers/fixtures.js';
import { pack, run, tarballFiles } from '../helpers/npm.js';
import { createClientCredentials, nodeAsync, REPO, startServer, tempDir, type Credentials, type TestServer } from '../helpers/server.js';

const PACKAGE = join(REPO, 'packages/client');
const SERVER_DEPENDENCIES = ['onnxruntime-node', 'sharp', 'better-sqlite3', 'pg', 'bullmq', 'fastify', 'zod', 'undici'];

let tarball: string;
let app: string;
let install: { status: number | null; output: string };
let server: TestServer;
let credentials: Credentials;

beforeAll(async () => {
  tarball = pack(PACKAGE);
  app = tempDir('sdk-app');
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  install = await run('npm', ['install', '--offline', '--ignore-scripts=false', '--no-audit', '--no-fund', tarball], app, {});
  server = await startServer();
  credentials = createClientCredentials(server.dataDir, 'sdk-package');
}, 120_000);

afterAll(async () => {
  await server?.stop();
});

describe('@depthmill/client, installed alone from its tarball', () => {
  it('holds its compiled code, types and README, and declares two pure-JavaScript dependencies and no install script', () => {
    const files = tarballFiles(tarball);
    expect(files).toEqual(
      expect.arrayContaining(['package/package.json', 'package/README.md', 'package/dist/index.js', 'package/dist/index.d.ts']),
    );
    expect(files.filter((file) => !/^package\/(package\.json|README\.md|dist\/.+\.(js|d\.ts))$/.test(file))).toEqual([]);
    const manifest = JSON.parse(readFileSync(join(PACKAGE, 'package.json'), 'utf8')) as Record<string, unknown>;
    expect(Object.keys(manifest.dependencies as object).sort()).toEqual(['@noble/hashes', 'fflate']);
    for (const key of ['peerDependencies', 'optionalDependencies', 'bundleDependencies']) {
      expect(manifest[key], key).toBeUndefined();
    }
    expect(Object.keys(manifest.scripts as object).filter((name) => /install|prepare/.test(name))).toEqual([]);
  });

  it('installs with no registry, and brings nothing else: no native module, no server dependency', () => {
    expect(install.status, install.output).toBe(0);
    expect(readdirSync(join(app, 'node_modules')).filter((name) => !name.startsWith('.'))).toEqual(['@depthmill', '@noble', 'fflate']);
    expect(readdirSync(join(app, 'node_modules/@noble'))).toEqual(['hashes']);
    expect(readdirSync(join(app, 'node_modules/@depthmill'))).toEqual(['client']);
    const installed = readdirSync(join(app, 'node_modules'), { recursive: true }).map(String);
    for (const name of SERVER_DEPENDENCIES)
      expect(
        installed.filter((path) => path.split('/').includes(name)),
        name,
      ).toEqual([]);
  });

  it('runs a program against a real server: create, poll, download, an unknown task, and callback signatures', async () => {
    const body = JSON.stringify({ task_id: 'abc', state: 'success' });
    const timestamp = Math.floor(Date.now() / 1000);
    // What a receiver computes from its client secret (docs/API.md "Callback"), with node:crypto.
    const key = createHmac('sha256', credentials.clientSecret).update('depthmill-callback-v1').digest('hex');
    const signature = `t=${timestamp},v1=${createHmac('sha256', key).update(`${timestamp}.${body}`).digest('hex')}`;
    const script = join(app, 'program.mjs');
    writeFileSync(
      script,
      `import { readFile } from 'node:fs/promises';
import { createClient, DepthmillError, SIGNATURE_HEADER, TASK_NOT_FOUND, verifyCallback } from '@depthmill/client';
import { OUTPUT_FORMAT_TABLE } from '@depthmill/client/contract';
const input = JSON.parse(process.argv[2]);
const client = createClient({ baseUrl: input.baseUrl, clientId: input.clientId, clientSecret: input.clientSecret });
const taskId = await client.createTask({ file: await readFile(input.photo), filename: 'apple.jpg', format: 'png' });
const states = [];
const task = await client.waitForTask(taskId, { intervalMs: 200, onProgress: (t) => states.push(t.state) });
const bytes = await client.download(task);
const unknown = await client.queryTask('no-such-task').catch((error) => error instanceof DepthmillError && error.code === TASK_NOT_FOUND);
console.log(JSON.stringify({
  states, size: bytes.length, head: [...bytes.subarray(0, 8)], unknown,
  formats: OUTPUT_FORMAT_TABLE.map((row) => row.name),
  genuine: verifyCallback(input.body, { [SIGNATURE_HEADER]: input.signature }, input.clientSecret),
  altered: verifyCallback(input.body + ' ', input.signature, input.clientSecret),
  otherSecret: verifyCallback(input.body, input.signature, 'not the secret'),
}));
`,
    );
    const input = { baseUrl: server.url, ...credentials, photo: photo('opencv_apple.jpg'), body, signature };
    const result = await nodeAsync([script, JSON.stringify(input)]);
    expect(result.status, result.stderr).toBe(0);
    const answer = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(answer.states).toContain('success');
    expect(answer.head).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]); // a PNG
    expect(answer.size).toBeGreaterThan(1000);
    expect(answer.unknown).toBe(true);
    expect(answer.formats).toEqual(expect.arrayContaining(['png', 'stl', '3mf']));
    expect(answer).toMatchObject({ genuine: true, altered: false, otherSecret: false });
  });

  it("types check in a TypeScript program with the DOM's globals and not Node's", async () => {
    writeFileSync(
      join(app, 'program.ts'),
      `import { createClient, verifyCallback, type TaskOptions } from '@depthmill/client';
const options: TaskOptions = { format: 'stl', width: 100 };
const client = createClient({ baseUrl: 'http://127.0.0.1:8080', accessToken: 'token' });
export const started: Promise<string> = client.createTask({ url: 'http://127.0.0.1:8080/a.jpg', ...options });
export const checked: boolean = verifyCallback('{}', undefined, 'secret');
// @ts-expect-error: not a format
export const wrong: TaskOptions = { format: 'obj' };
`,
    );
    const compilerOptions = { noEmit: true, strict: true, module: 'nodenext', target: 'es2022', lib: ['es2023', 'dom'], types: [] };
    writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions, files: ['program.ts'] }));
    const result = await nodeAsync([join(REPO, 'node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')]);
    expect(result.status, result.stdout + result.stderr).toBe(0);
  });
});
