// Pipeline timing per image: base and pro, with and without background removal, at typical photo
// sizes and at 12 MP. Prints medians (the machine may be shared: never trust a single run).
//
//   npm run bench -- [--json <file>] [--runs <n>] [--photo <file>]
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import sharp from 'sharp';
import { runPipeline, type PipelineParams, type StageTimings } from '../src/pipeline/run.js';
import { ModelSessions } from '../src/pipeline/sessions.js';

const HELP = `Usage: npm run bench -- [--json <file>] [--runs <n>] [--photo <file>]

Times runPipeline (decode to normalised map, encoding excluded) for base and pro, rmbg 0 and 1,
on one photo resized to 640x480, 1500x1000 and 4000x3000 (12 MP, JPEG quality 90). Prints the
median of --runs runs (default 5) per stage. Default photo: ../shared/eval/photos/ the street scene.
`;

interface Record {
  size: string;
  variant: string;
  runs: number;
  median: StageTimings;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  if (args.includes('--help')) {
    process.stdout.write(HELP);
    return;
  }
  const option = (name: string): string | undefined => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const runs = Number(option('--runs') ?? 5);
  const photo = option('--photo') ?? new URL('../../shared/eval/photos/metric3d_randy-fath-G1yhU1Ej-9A-unsplash.jpg', import.meta.url).pathname;
  const source = readFileSync(photo);
  const sizes: [number, number][] = [
    [640, 480],
    [1500, 1000],
    [4000, 3000],
  ];
  const sessions = new ModelSessions({ intraOpNumThreads: cpus().length });
  const machine = `${hostname()}, ${cpus().length} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}`;
  process.stdout.write(`machine: ${machine}\nmedian of ${runs} runs, milliseconds\n\n`);
  process.stdout.write('| input | variant | total | decode | mask | depth | upsample | normalize |\n| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n');
  const records: Record[] = [];
  for (const [w, h] of sizes) {
    const image = await sharp(source).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    for (const modelType of ['base', 'pro'] as const) {
      for (const rmbg of [false, true]) {
        const params: PipelineParams = { modelType, rmbg, degreeRmbg: 0.02 };
        await runPipeline(image, params, sessions); // warm-up
        const all: StageTimings[] = [];
        for (let r = 0; r < runs; r++) all.push((await runPipeline(image, params, sessions)).timings);
        const median = Object.fromEntries(
          Object.keys(all[0]!).map((k) => {
            const v = all.map((t) => t[k as keyof StageTimings]).sort((a, b) => a - b);
            return [k, v[v.length >> 1]!];
          }),
        ) as unknown as StageTimings;
        const variant = `${modelType}${rmbg ? '+rmbg' : ''}`;
        records.push({ size: `${w}x${h}`, variant, runs, median });
        const f = (v: number): string => String(Math.round(v));
        process.stdout.write(
          `| ${w}x${h} | ${variant} | ${f(median.total)} | ${f(median.decode)} | ${f(median.mask)} | ${f(median.depth)} | ${f(median.upsample)} | ${f(median.normalize)} |\n`,
        );
      }
    }
  }
  const json = option('--json');
  if (json) writeFileSync(json, JSON.stringify(records.map((r) => ({ ...r, machine })), null, 1));
  await sessions.release();
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
