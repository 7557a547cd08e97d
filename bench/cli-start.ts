// How long the command line takes to answer what is asked of it most and costs nothing to do:
// --version and --help, against a bare `node -e ""` on the same machine (the floor). Median of
// --runs starts each; a table, no assertions (the target, under 4x the floor for --version, is
// read off it).
//
//   npm run bench -- ... (all.ts runs it) or: npx vite-node bench/cli-start.ts -- [--runs <n>]
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { benchArgs } from './args.js';
import { MACHINE, median } from './report.js';

const { option } = benchArgs({ values: ['runs'], flags: [] });
const runs = Number(option('--runs') ?? '9');
const REPO = resolve(import.meta.dirname, '..');
const BIN = join(REPO, 'bin/depthmill.js');

function time(args: string[]): number {
  const samples: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const child = spawnSync(process.execPath, args, { stdio: 'ignore' });
    samples.push(performance.now() - started);
    if (child.status !== 0) throw new Error(`${args.join(' ')} exited ${child.status}`);
  }
  return median(samples);
}

const floor = time(['-e', '']);
const rows: [string, number][] = [
  ['node -e ""', floor],
  ['depthmill --version', time([BIN, '--version'])],
  ['depthmill --help', time([BIN, '--help'])],
  ['depthmill generate --help', time([BIN, 'generate', '--help'])],
];
process.stdout.write(`\nCommand line start (${MACHINE}; median of ${runs})\n\n| command | ms | x node -e "" |\n| --- | ---: | ---: |\n`);
for (const [name, ms] of rows) process.stdout.write(`| ${name} | ${ms.toFixed(0)} | ${(ms / floor).toFixed(1)} |\n`);
