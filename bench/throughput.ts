// Tasks per minute of the distributed mode with 1 and 2 worker processes (one API process,
// PostgreSQL and Redis of this machine, blobs on a shared local folder). Prints a table; asserts
// nothing. Run: npx vite-node bench/throughput.ts [-- --tasks 40 --model-type base --rmbg 0]
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchArgs } from './args.js';
import { signIn, startServer } from './server.js';
import { STREET } from './photos.js';

const { option } = benchArgs({ values: ['model-type', 'rmbg', 'tasks'] });

const TASKS = Number(option('--tasks') ?? '40');
const MODEL_TYPE = option('--model-type') ?? 'base';
const RMBG = option('--rmbg') ?? '0';
const PHOTO = readFileSync(STREET);

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
  const api = await startServer(env, 'api');
  const workerProcesses = await Promise.all(Array.from({ length: workers }, () => startServer(env, 'worker')));
  try {
    const tokens = await Promise.all(Array.from({ length: Math.ceil(TASKS / 10) }, (_, i) => signIn(api.url, env, `bench-${i}`)));
    const started = performance.now();
    const ids = await Promise.all(
      Array.from({ length: TASKS }, async (_, i) => {
        const body = new FormData();
        body.append('image', new Blob([PHOTO]), 'photo.jpg');
        for (const [name, value] of Object.entries({ format: '2', model_type: MODEL_TYPE, rmbg: RMBG })) body.append(name, value);
        const answer = await json(
          fetch(`${api.url}/open-api/v1/depth/create-task`, {
            method: 'POST',
            headers: { authorization: `Bearer ${tokens[i % tokens.length]}` },
            body,
          }),
        );
        return [answer.data.task_id!, tokens[i % tokens.length]!] as const;
      }),
    );
    for (const [taskId, token] of ids) {
      for (;;) {
        const answer = await json(
          fetch(`${api.url}/open-api/v1/depth/query-task?task_id=${taskId}`, { headers: { authorization: `Bearer ${token}` } }),
        );
        if (answer.data.state === 'success' || answer.data.state === 'failed') break;
        await new Promise((wait) => setTimeout(wait, 50));
      }
    }
    return (TASKS / ((performance.now() - started) / 1000)) * 60;
  } finally {
    for (const server of [api, ...workerProcesses]) server.stop();
  }
}

const rows: [number, number][] = [];
for (const workers of [1, 2]) rows.push([workers, await run(workers)]);
console.log(
  `\nDistributed throughput: ${TASKS} tasks, model_type ${MODEL_TYPE}, rmbg ${RMBG}, PNG, 1500x1000 photo, one task at a time per worker`,
);
console.log('| workers | tasks per minute |\n| --- | --- |');
for (const [workers, perMinute] of rows) console.log(`| ${workers} | ${perMinute.toFixed(0)} |`);
process.exit(0);
