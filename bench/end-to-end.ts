// What a user waits for: one task through the real embedded server (`depthmill serve`, the built
// dist/), from the start of the create-task upload to the last byte of the download, one task at a
// time, polling query-task every 5 ms. A 12 MP photo (and a 1500x1000 one); base (rmbg 0, and 1:
// the API default) and pro+rmbg; two depth formats and two relief formats each. Medians after a
// warm-up task. Prints a table; asserts nothing.
//
//   npx vite-node bench/end-to-end.ts [-- --json <file>] [--runs 5] [--sizes 4000x3000,1500x1000]
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { OUTPUT_FORMATS, type FormatCode } from '@depthmill/client/contract';
import { benchArgs } from './args.js';
import { median } from './report.js';
import { requireBuild, signIn, startServer } from './server.js';
import { STREET } from './photos.js';

const { flag, option } = benchArgs({ values: ['json', 'runs', 'sizes'] });

if (flag('--help')) {
  process.stdout.write(
    'Usage: npx vite-node bench/end-to-end.ts [-- --json <file>] [--runs 5] [--sizes 4000x3000,1500x1000]\nUpload to downloaded result, one task at a time, on the embedded server (needs npm run build).\n',
  );
  process.exit(0);
}
requireBuild('bench/end-to-end.ts');
const RUNS = Number(option('--runs') ?? '5');
const PHOTO = STREET;
const CASES: { size: [number, number]; modelType: 'base' | 'pro'; rmbg: boolean; format: FormatCode }[] = [];
for (const size of (option('--sizes') ?? '4000x3000,1500x1000').split(',').map((s) => s.split('x').map(Number) as [number, number])) {
  for (const [modelType, rmbg] of [
    ['base', false],
    ['base', true],
    ['pro', true],
  ] as const) {
    for (const format of [2, 1, 3, 5] as const) CASES.push({ size, modelType, rmbg, format });
  }
}

const dir = mkdtempSync(join(tmpdir(), 'depthmill-e2e-'));
const env = { DEPTHMILL_DATA: join(dir, 'data'), DEPTHMILL_RATE_LIMIT: '10000000' };
const server = await startServer(env);
const token = await signIn(server.url, env, 'bench-e2e');
const auth = { authorization: `Bearer ${token}` };

/** Milliseconds from the upload's start to the downloaded result. */
async function oneTask(image: Buffer, fields: Record<string, string>): Promise<number> {
  const started = performance.now();
  const body = new FormData();
  body.append('image', new Blob([image], { type: 'image/jpeg' }), 'photo.jpg');
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  const created = (await (await fetch(`${server.url}/open-api/v1/depth/create-task`, { method: 'POST', headers: auth, body })).json()) as {
    code: number;
    msg: string;
    data: { task_id: string };
  };
  if (created.code !== 200) throw new Error(`create-task: ${created.msg}`);
  for (;;) {
    const answer = (await (
      await fetch(`${server.url}/open-api/v1/depth/query-task?task_id=${created.data.task_id}`, { headers: auth })
    ).json()) as { data: { state: string; url?: string } };
    if (answer.data.state === 'failed') throw new Error(`task ${created.data.task_id} failed`);
    if (answer.data.state === 'success') {
      await (await fetch(answer.data.url!)).arrayBuffer();
      return performance.now() - started;
    }
    await new Promise((wait) => setTimeout(wait, 5));
  }
}

const records: Record<string, unknown>[] = [];
try {
  const load0 = loadavg()[0]!;
  console.log(
    `\nEnd to end on the embedded server: upload, poll every 5 ms, download; one task at a time; median of ${RUNS} after a warm-up`,
  );
  console.log('| input | variant | format | median (ms) | min (ms) | max (ms) |\n| --- | --- | --- | ---: | ---: | ---: |');
  const photos = new Map<string, Buffer>();
  for (const { size, modelType, rmbg, format } of CASES) {
    const sizeName = `${size[0]}x${size[1]}`;
    if (!photos.has(sizeName))
      photos.set(sizeName, await sharp(PHOTO).resize(size[0], size[1], { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer());
    const fields = { format: String(format), model_type: modelType, rmbg: rmbg ? '1' : '0' };
    const times: number[] = [];
    for (let r = 0; r <= RUNS; r++) {
      const ms = await oneTask(photos.get(sizeName)!, fields);
      if (r > 0) times.push(ms); // the first task of a kind warms the worker's sessions
    }
    const variant = `${modelType}${rmbg ? '+rmbg' : ''}`;
    records.push({
      kind: 'end-to-end',
      size: sizeName,
      variant,
      format: OUTPUT_FORMATS[format],
      runs: RUNS,
      medianMs: median(times),
      minMs: Math.min(...times),
      maxMs: Math.max(...times),
    });
    console.log(
      `| ${sizeName} | ${variant} | ${OUTPUT_FORMATS[format]} | ${median(times).toFixed(0)} | ${Math.min(...times).toFixed(0)} | ${Math.max(...times).toFixed(0)} |`,
    );
  }
  console.log(`(load average ${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)})`);
} finally {
  server.stop();
}
const json = option('--json');
if (json)
  writeFileSync(
    json,
    JSON.stringify(
      records.map((r) => ({ ...r, loadavg: loadavg() })),
      null,
      1,
    ),
  );
process.exit(0);
