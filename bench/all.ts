// The whole benchmark suite, what `npm run bench` runs: stage timings and the model floor
// (speed.ts), peak RSS per worker (rss.ts), a task from upload to download on the real server
// (end-to-end.ts), relief building and mesh encoding (relief.ts), tasks per minute with 1 and 2 workers (throughput.ts,
// needs PostgreSQL and Redis on 127.0.0.1; skipped when they are not there), the API under load
// (api-load.ts), a sign-in flood (signin-flood.ts), the command line's start (cli-start.ts), the mask stage against @imgly/background-removal-node (peer.ts; skipped when that
// dev dependency is not installed). Each runs in its own process; tables go to stdout; asserts nothing.
//
//   npm run bench -- [--json <file>] [--runs <n>] [--quick]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { connect } from 'node:net';
import { benchArgs } from './args.js';
import { MACHINE } from './report.js';
import { benchPhoto } from './photos.js';

const { flag, option } = benchArgs({ values: ['json', 'runs'], flags: ['quick'] });

const REPO = resolve(import.meta.dirname, '..');
if (flag('--help')) {
  process.stdout.write(
    'Usage: npm run bench -- [--json <file>] [--runs <n>] [--quick]\n\nRuns bench/speed.ts, rss.ts, throughput.ts (if PostgreSQL and Redis answer on 127.0.0.1), api-load.ts and\npeer.ts (if @imgly/background-removal-node is installed); --json writes one record per stage/size/variant\n(and per floor, RSS, throughput, API and peer row).\n--quick: 1 run, 640x480 and 12 MP only, 10 throughput tasks, 5 s of load, one peer photo.\n',
  );
  process.exit(0);
}
const quick = flag('--quick');
const runs = option('--runs') ?? (quick ? '1' : '3');
const dir = mkdtempSync(join(tmpdir(), 'depthmill-bench-'));

const VITE_NODE = join(REPO, 'node_modules/vite-node/vite-node.mjs');

const reachable = (port: number): Promise<boolean> =>
  new Promise((ok) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), ok(true)));
    socket.once('error', () => ok(false));
  });

if (!existsSync(join(REPO, 'dist/render.js'))) {
  process.stdout.write('dist/ missing: npm run build\n');
  if (spawnSync('npm', ['run', 'build'], { cwd: REPO, stdio: 'inherit' }).status !== 0) process.exit(1);
}
const steps: { name: string; file: string; extra: string[]; json: boolean }[] = [
  { name: 'speed', file: 'bench/speed.ts', extra: ['--runs', runs, ...(quick ? ['--sizes', '640x480,4000x3000'] : [])], json: true },
  { name: 'rss', file: 'bench/rss.ts', extra: [], json: true },
  { name: 'end-to-end', file: 'bench/end-to-end.ts', extra: ['--runs', runs, ...(quick ? ['--sizes', '4000x3000'] : [])], json: true },
  { name: 'relief', file: 'bench/relief.ts', extra: ['--runs', runs, ...(quick ? ['--variants', 'pro+rmbg'] : [])], json: false },
  { name: 'api-load', file: 'bench/api-load.ts', extra: quick ? ['--seconds', '5'] : [], json: true },
  { name: 'signin-flood', file: 'bench/signin-flood.ts', extra: quick ? ['--samples', '20'] : [], json: false },
  { name: 'cli-start', file: 'bench/cli-start.ts', extra: quick ? ['--runs', '3'] : [], json: false },
];
// The peer is a dev dependency (AGPL, never in the product): absent after `npm ci --omit=dev`.
if (existsSync(join(REPO, 'node_modules/@imgly/background-removal-node/package.json'))) {
  steps.push({
    name: 'peer',
    file: 'bench/peer.ts',
    extra: ['--runs', runs, ...(quick ? ['--photos', benchPhoto('opencv_apple.jpg')] : [])],
    json: true,
  });
} else process.stdout.write('peer: skipped (@imgly/background-removal-node, a dev dependency, is not installed)\n');
if ((await reachable(5432)) && (await reachable(6379)))
  steps.push({ name: 'throughput', file: 'bench/throughput.ts', extra: ['--tasks', quick ? '10' : '20'], json: false });
else process.stdout.write('throughput: skipped (PostgreSQL on 5432 and Redis on 6379 are needed)\n');

process.stdout.write(
  `machine: ${MACHINE}; load average at start ${loadavg()
    .map((v) => v.toFixed(2))
    .join(' ')}\n`,
);
const records: unknown[] = [];
let failed = false;
for (const step of steps) {
  const out = join(dir, `${step.name}.json`);
  const started = performance.now();
  const child = spawnSync(process.execPath, [VITE_NODE, step.file, '--', ...step.extra, ...(step.json ? ['--json', out] : [])], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'inherit'],
    encoding: 'utf8',
    maxBuffer: 64 * 2 ** 20,
  });
  process.stdout.write(child.stdout);
  if (child.status !== 0) {
    failed = true;
    process.stderr.write(`${step.name} failed (exit ${child.status})\n`);
    continue;
  }
  if (step.json && existsSync(out))
    records.push(...(JSON.parse(readFileSync(out, 'utf8')) as object[]).map((r) => ({ bench: step.name, ...r })));
  if (step.name === 'throughput') {
    // throughput.ts prints "| workers | tasks per minute |" rows; keep them as records too.
    for (const match of child.stdout.matchAll(/^\| (\d+) \| (\d+) \|$/gm))
      records.push({ bench: 'throughput', kind: 'throughput', workers: Number(match[1]), tasksPerMinute: Number(match[2]) });
  }
  process.stdout.write(`(${step.name}: ${((performance.now() - started) / 1000).toFixed(0)} s, load ${loadavg()[0]!.toFixed(2)})\n`);
}
const json = option('--json');
if (json)
  writeFileSync(
    json,
    JSON.stringify(
      records.map((r) => ({ machine: MACHINE, ...(r as object) })),
      null,
      1,
    ),
  );
process.exit(failed ? 1 : 0);
