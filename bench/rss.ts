// Peak resident memory of one worker: a fresh Node process (the built dist/, no vite) renders one
// task after another, like a worker thread would, and reports process.resourceUsage().maxRSS and
// /proc/self/status VmHWM. Needs `npm run build` first. Prints a table; asserts nothing.
//
//   npx vite-node bench/rss.ts [-- --json <file>] [--photo <file>]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { FORMATS_BY_KIND } from '@depthmill/client/contract';
import { benchArgs } from './args.js';
import { REPO, requireBuild } from './server.js';
import { STREET } from './photos.js';

const { flag, option } = benchArgs({ values: ['json', 'photo'] });

if (flag('--help')) {
  process.stdout.write(
    'Usage: npx vite-node bench/rss.ts [-- --json <file>] [--photo <file>]\nPeak RSS of a worker process rendering a sequence of tasks (needs npm run build).\n',
  );
  process.exit(0);
}
requireBuild('bench/rss.ts', 'dist/render.js');
const photo = option('--photo') ?? STREET;
const dir = mkdtempSync(join(tmpdir(), 'depthmill-rss-'));
const big = join(dir, '12mp.jpg');
await sharp(photo).resize(4000, 3000, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(big);

// Each scenario: a fresh process, a list of [modelType, rmbg, format] tasks run in turn.
const scenarios: { name: string; tasks: [string, boolean, string][] }[] = [
  {
    name: 'base png, 12 MP, x3',
    tasks: [
      ['base', false, 'png'],
      ['base', false, 'png'],
      ['base', false, 'png'],
    ],
  },
  {
    name: 'pro+rmbg exr, 12 MP, x3',
    tasks: [
      ['pro', true, 'exr'],
      ['pro', true, 'exr'],
      ['pro', true, 'exr'],
    ],
  },
  { name: 'pro+rmbg, 12 MP, every format', tasks: FORMATS_BY_KIND.map((f) => ['pro', true, f]) },
];
const child = `
import { readFileSync } from 'node:fs';
import { renderOutput } from '${join(REPO, 'dist/render.js')}';
import { sharedSessions } from '${join(REPO, 'dist/pipeline/index.js')}';
const input = readFileSync(process.env.PHOTO);
const sessions = sharedSessions({ intraOpNumThreads: 2 });
const hwm = () => Number(/VmHWM:\\s+(\\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))[1]) / 1024;
const before = process.memoryUsage().rss / 2 ** 20;
for (const [modelType, rmbg, format] of JSON.parse(process.env.TASKS)) {
  await renderOutput(input, { modelType, rmbg, degreeRmbg: 0.02, format, responseFormat: 'url', heightRelief: 10, width: 100, shapeBase: 'square', thicknessBase: 2, sculpmode: 'emboss' }, sessions);
}
process.stdout.write(JSON.stringify({ startMiB: before, maxRssMiB: process.resourceUsage().maxRSS / 1024, vmHwmMiB: hwm(), endRssMiB: process.memoryUsage().rss / 2 ** 20 }));
`;
const records: Record<string, unknown>[] = [];
console.log(
  `\nPeak RSS of one worker process (fresh Node process per row, 12 MP photo, intraOpNumThreads 2); load ${loadavg()[0]!.toFixed(1)}`,
);
console.log(
  '| tasks | RSS at start (MiB) | peak RSS, maxRSS (MiB) | VmHWM (MiB) | RSS at end (MiB) |\n| --- | ---: | ---: | ---: | ---: |',
);
for (const scenario of scenarios) {
  const out = spawnSync(process.execPath, ['--input-type=module', '-e', child], {
    env: { ...process.env, PHOTO: big, TASKS: JSON.stringify(scenario.tasks) },
    encoding: 'utf8',
  });
  if (out.status !== 0) throw new Error(`rss child failed: ${out.stderr}`);
  const r = JSON.parse(out.stdout) as { startMiB: number; maxRssMiB: number; vmHwmMiB: number; endRssMiB: number };
  records.push({ kind: 'rss', scenario: scenario.name, ...r });
  console.log(
    `| ${scenario.name} | ${r.startMiB.toFixed(0)} | ${r.maxRssMiB.toFixed(0)} | ${r.vmHwmMiB.toFixed(0)} | ${r.endRssMiB.toFixed(0)} |`,
  );
}
const json = option('--json');
if (json) writeFileSync(json, JSON.stringify(records, null, 1));
