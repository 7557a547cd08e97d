// The API under load with autocannon, on the real server (`node bin/depthmill.js serve`, embedded
// mode: SQLite, in-process queue, worker threads on this machine's cores): create-task at a fixed
// 100 requests/s while the workers are busy with the tasks it queues, then query-task as fast as
// it goes (workers still busy). Needs `npm run build`. Prints a table; asserts nothing.
//
//   npx vite-node bench/api-load.ts [-- --json <file>] [--seconds 10] [--rate 100]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { benchArgs } from './args.js';
import { REPO, requireBuild, signIn, startServer } from './server.js';
import { STREET } from './photos.js';

const { flag, option } = benchArgs({ values: ['json', 'rate', 'seconds'] });

const AUTOCANNON = join(REPO, 'node_modules/autocannon/autocannon.js');
if (flag('--help')) {
  process.stdout.write(
    'Usage: npx vite-node bench/api-load.ts [-- --json <file>] [--seconds 10] [--rate 100]\ncreate-task at --rate req/s while workers are busy, then query-task at its maximum (needs npm run build, autocannon).\n',
  );
  process.exit(0);
}
requireBuild('bench/api-load.ts');
if (!existsSync(AUTOCANNON)) {
  process.stderr.write(`bench/api-load.ts: ${AUTOCANNON} is missing (npm ci installs autocannon, a dev dependency)\n`);
  process.exit(1);
}
const SECONDS = option('--seconds') ?? '10';
const RATE = option('--rate') ?? '100';
const dir = mkdtempSync(join(tmpdir(), 'depthmill-load-'));
const photo = join(dir, 'photo.jpg');
await sharp(STREET).resize(1500, 1000, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(photo);
const env = {
  ...process.env,
  DEPTHMILL_DATA: join(dir, 'data'),
  DEPTHMILL_RATE_LIMIT: '10000000',
  DEPTHMILL_TASK_QUOTA: '100000',
  DEPTHMILL_LOG_LEVEL: 'warn',
};

const server = await startServer(env);
const url = server.url;

interface Result {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; max: number; average: number };
  non2xx: number;
  errors: number;
}
function autocannon(extra: string[]): Result {
  const out = spawnSync(process.execPath, [AUTOCANNON, '-j', '-d', SECONDS, ...extra], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
  if (out.status !== 0) throw new Error(`autocannon failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as Result;
}

const records: Record<string, unknown>[] = [];
try {
  const token = await signIn(url, env, 'bench-load');
  // A second client: the first has its 10 unfinished tasks (the per-client quota) once create-task ran.
  const queryToken = await signIn(url, env, 'bench-query');
  const auth = `authorization=Bearer ${token}`;
  const form = JSON.stringify({
    image: { type: 'file', path: photo },
    format: { type: 'text', value: '2' },
    model_type: { type: 'text', value: 'base' },
    rmbg: { type: 'text', value: '0' },
  });
  const load0 = loadavg()[0]!;
  const create = autocannon(['-m', 'POST', '-c', '10', '-R', RATE, '-F', form, '-H', auth, `${url}/open-api/v1/depth/create-task`]);
  // A task id to query (the workers are still draining the queue filled above).
  const body = new FormData();
  body.append('image', new Blob([await sharp(photo).toBuffer()]), 'photo.jpg');
  body.append('format', '2');
  const taskId = (
    (await (
      await fetch(`${url}/open-api/v1/depth/create-task`, { method: 'POST', headers: { authorization: `Bearer ${queryToken}` }, body })
    ).json()) as { data: { task_id: string } }
  ).data.task_id;
  const query = autocannon([
    '-c',
    '10',
    '-H',
    `authorization=Bearer ${queryToken}`,
    `${url}/open-api/v1/depth/query-task?task_id=${taskId}`,
  ]);
  const load1 = loadavg()[0]!;
  console.log(
    `\nAPI under load (embedded server, worker threads busy, 10 connections, ${SECONDS} s each; load ${load0.toFixed(1)} -> ${load1.toFixed(1)})`,
  );
  console.log(
    '| request | offered | achieved req/s | p50 (ms) | p99 (ms) | max (ms) | non-2xx | errors |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const [name, offered, r] of [
    ['create-task', `${RATE}/s`, create],
    ['query-task', 'max', query],
  ] as const) {
    records.push({
      kind: 'api',
      request: name,
      offered,
      reqPerSec: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      max: r.latency.max,
      non2xx: r.non2xx,
      errors: r.errors,
      loadavg: [load0, load1],
    });
    console.log(
      `| ${name} | ${offered} | ${r.requests.average.toFixed(0)} | ${r.latency.p50} | ${r.latency.p99} | ${r.latency.max} | ${r.non2xx} | ${r.errors} |`,
    );
  }
} finally {
  server.stop();
}
const json = option('--json') ?? '';
if (json) writeFileSync(json, JSON.stringify(records, null, 1));
process.exit(0);
