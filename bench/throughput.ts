// Tasks per minute of the distributed mode with 1 and 2 worker processes (one API process,
// PostgreSQL and Redis of this machine, blobs on a shared local folder). Prints a table; asserts
// nothing. Run: npx vite-node bench/throughput.ts [-- --tasks 40 --model-type base --rmbg 0]
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { option } from './args.js';

const REPO = resolve(import.meta.dirname, '..');
const BIN = join(REPO, 'bin/depthmill.js');
const TASKS = Number(option('--tasks') ?? '40');
const MODEL_TYPE = option('--model-type') ?? 'base';
const RMBG = option('--rmbg') ?? '0';
const PHOTO = readFileSync(resolve(REPO, '../shared/eval/photos/metric3d_randy-fath-G1yhU1Ej-9A-unsplash.jpg'));

function start(env: Record<string, string>, role: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--role', role], { env: { ...process.env, ...env, DEPTHMILL_LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolveStart, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (\S+)|worker ready/.exec(output);
      if (match) resolveStart({ child, url: match[1] ?? '' });
    });
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
}

async function json(response: Promise<Response>): Promise<{ code: number; data: Record<string, string> }> {
  return (await (await response).json()) as { code: number; data: Record<string, string> };
}

async function run(workers: number): Promise<number> {
  const id = `bench_${Date.now()}_${workers}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'depthmill-bench-'));
  const env = {
    DEPTHMILL_DATA: dataDir,
    DEPTHMILL_DB: `postgres://postgres@127.0.0.1:5432/test?schema=${id}`,
    DEPTHMILL_QUEUE: `redis://127.0.0.1:6379/0?prefix=${id}`,
    DEPTHMILL_CONCURRENCY: '1',
  };
  const api = await start(env, 'api');
  const workerProcesses = await Promise.all(Array.from({ length: workers }, () => start(env, 'worker')));
  try {
    const clients = Array.from({ length: Math.ceil(TASKS / 10) }, (_, i) => {
      const out = spawnSync(process.execPath, [BIN, 'clients', 'create', `bench-${i}`, '--json'], { env: { ...process.env, ...env }, encoding: 'utf8' });
      return JSON.parse(out.stdout) as { client_id: string; client_secret: string };
    });
    const tokens = await Promise.all(
      clients.map(async (client) => {
        const basic = Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64');
        return (await json(fetch(`${api.url}/open-api/v1/auth/token`, { method: 'POST', headers: { authorization: `Basic ${basic}` } }))).data.accessToken!;
      }),
    );
    const started = performance.now();
    const ids = await Promise.all(
      Array.from({ length: TASKS }, async (_, i) => {
        const body = new FormData();
        body.append('image', new Blob([PHOTO]), 'photo.jpg');
        for (const [name, value] of Object.entries({ format: '2', model_type: MODEL_TYPE, rmbg: RMBG })) body.append(name, value);
        const answer = await json(fetch(`${api.url}/open-api/v1/depth/create-task`, { method: 'POST', headers: { authorization: `Bearer ${tokens[i % tokens.length]}` }, body }));
        return [answer.data.task_id!, tokens[i % tokens.length]!] as const;
      }),
    );
    for (const [taskId, token] of ids) {
      for (;;) {
        const answer = await json(fetch(`${api.url}/open-api/v1/depth/query-task?task_id=${taskId}`, { headers: { authorization: `Bearer ${token}` } }));
        if (answer.data.state === 'success' || answer.data.state === 'failed') break;
        await new Promise((wait) => setTimeout(wait, 50));
      }
    }
    return (TASKS / ((performance.now() - started) / 1000)) * 60;
  } finally {
    for (const process of [api, ...workerProcesses]) process.child.kill('SIGTERM');
  }
}

const rows: [number, number][] = [];
for (const workers of [1, 2]) rows.push([workers, await run(workers)]);
console.log(`\nDistributed throughput: ${TASKS} tasks, model_type ${MODEL_TYPE}, rmbg ${RMBG}, PNG, 1500x1000 photo, one task at a time per worker`);
console.log('| workers | tasks per minute |\n| --- | --- |');
for (const [workers, perMinute] of rows) console.log(`| ${workers} | ${perMinute.toFixed(0)} |`);
process.exit(0);
