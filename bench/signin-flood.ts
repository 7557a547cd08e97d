// A sign-in flood against the real server (issue 16): 1,000 token requests with random client ids,
// 24 at a time, while one signed-in client polls query-task and downloads its result. Prints
// their latency unloaded and during the flood (p50 / p95 and the ratio to unloaded), and how the
// flood was answered. Two rows: the flood from one address (the per-address sign-in limit answers
// most of it), and with that limit lifted (as from many addresses: the bounded secret-check queue
// is all that stands). Needs `npm run build`. Asserts nothing.
//
//   npx vite-node bench/signin-flood.ts [-- --attempts 1000] [--concurrency 24] [--samples 40]
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { benchArgs } from './args.js';
import { median } from './report.js';
import { requireBuild, signIn, startServer } from './server.js';
import { benchPhoto } from './photos.js';

const { flag, option } = benchArgs({ values: ['attempts', 'concurrency', 'samples'] });
if (flag('--help')) {
  process.stdout.write('Usage: npx vite-node bench/signin-flood.ts [-- --attempts 1000] [--concurrency 24] [--samples 40]\n');
  process.exit(0);
}
requireBuild('bench/signin-flood.ts');
const ATTEMPTS = Number(option('--attempts') ?? 1000);
const CONCURRENCY = Number(option('--concurrency') ?? 24);
const SAMPLES = Number(option('--samples') ?? 40);
const photo = readFileSync(benchPhoto('opencv_apple.jpg'));

const percentile = (values: number[], q: number) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(q * values.length))]!;

async function timed(call: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const response = await call();
  await response.arrayBuffer();
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  return performance.now() - started;
}

/** Latency samples of query-task and of the download, one after the other. */
async function sample(
  query: () => Promise<Response>,
  download: () => Promise<Response>,
  count: number,
): Promise<{ query: number[]; download: number[] }> {
  const out = { query: [] as number[], download: [] as number[] };
  for (let i = 0; i < count; i++) {
    out.query.push(await timed(query));
    out.download.push(await timed(download));
  }
  return out;
}

async function run(label: string, extraEnv: Record<string, string>): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'depthmill-flood-'));
  const env = { DEPTHMILL_DATA: join(dir, 'data'), DEPTHMILL_RATE_LIMIT: '10000000', ...extraEnv };
  const server = await startServer(env);
  try {
    const token = await signIn(server.url, env, 'bench-victim');
    const auth = { authorization: `Bearer ${token}` };
    const body = new FormData();
    body.set('format', '3');
    body.set('model_type', 'base');
    body.set('image', new Blob([photo]), 'apple.jpg');
    const created = (await (
      await fetch(`${server.url}/open-api/v1/depth/create-task`, { method: 'POST', headers: auth, body })
    ).json()) as { data: { task_id: string } };
    const queryUrl = `${server.url}/open-api/v1/depth/query-task?task_id=${created.data.task_id}`;
    let url: string | undefined;
    while (!url) {
      const answer = (await (await fetch(queryUrl, { headers: auth })).json()) as { data: { state: string; url?: string } };
      if (answer.data.state === 'failed') throw new Error('the task failed');
      url = answer.data.url;
      if (!url) await new Promise((done) => setTimeout(done, 200));
    }
    const query = () => fetch(queryUrl, { headers: auth });
    const download = () => fetch(url);

    await sample(query, download, 5); // warm-up
    const unloaded = await sample(query, download, SAMPLES);

    const answers = new Map<number, number>();
    let next = 0;
    const started = performance.now();
    const flood = Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < ATTEMPTS) {
          next++;
          const basic = Buffer.from(`dm_${randomBytes(12).toString('hex')}:${randomBytes(16).toString('hex')}`).toString('base64');
          const response = await fetch(`${server.url}/open-api/v1/auth/token`, {
            method: 'POST',
            headers: { authorization: `Basic ${basic}` },
          });
          await response.arrayBuffer();
          answers.set(response.status, (answers.get(response.status) ?? 0) + 1);
        }
      }),
    );
    const loaded = await sample(query, download, SAMPLES);
    await flood;
    const floodMs = performance.now() - started;

    const row = (what: string, base: number[], busy: number[]) =>
      `| ${label} | ${what} | ${median(base).toFixed(1)} / ${percentile(base, 0.95).toFixed(1)} | ${median(busy).toFixed(1)} / ${percentile(busy, 0.95).toFixed(1)} | ${(median(busy) / median(base)).toFixed(2)} | ${[...answers].map(([status, n]) => `${n}x${status}`).join(', ')} in ${(floodMs / 1000).toFixed(1)} s |`;
    return [row('query-task', unloaded.query, loaded.query), row('download', unloaded.download, loaded.download)];
  } finally {
    server.stop();
  }
}

const rows = [
  ...(await run('one address', {})),
  ...(await run('limit lifted (many addresses)', { DEPTHMILL_SIGNIN_RATE_LIMIT: '1000000' })),
];
process.stdout.write(
  `${cpus().length} cores, Node ${process.version}; load ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}\n`,
);
process.stdout.write(
  `${ATTEMPTS} sign-ins with random ids, ${CONCURRENCY} at a time; latency in ms (p50 / p95) over ${SAMPLES} sequential requests of the victim client\n\n`,
);
process.stdout.write(
  '| flood | request | unloaded | during the flood | p50 ratio | flood answered |\n| --- | --- | ---: | ---: | ---: | --- |\n',
);
process.stdout.write(rows.join('\n') + '\n');
