// Relief build and mesh encoding alone, on real depth maps: the pipeline runs once per photo and
// variant (maps kept in memory), then buildRelief and each mesh encoder are timed, median of N.
// Asserts nothing; prints a markdown table with triangle counts, the TIN's error and file sizes.
//
//   npx vite-node bench/relief.ts [-- --runs <n>] [--photos a.jpg,b.png] [--size WxH|native] ...
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import sharp from 'sharp';
import { MESH_FORMATS, type MeshFormat } from '@depthmill/client/contract';
import { encodeRelief } from '../src/formats/index.js';
import type { DepthMap } from '../src/raster/depth-map.js';
import { runPipeline } from '../src/pipeline/run.js';
import { ModelSessions } from '../src/models/sessions.js';
import { buildRelief, type ReliefParams } from '../src/relief/index.js';
import { benchArgs } from './args.js';
import { median } from './report.js';
import { benchPhoto } from './photos.js';

const { flag, option } = benchArgs({
  values: [
    'baseline',
    'baseline-formats',
    'height-relief',
    'max-error',
    'photos',
    'runs',
    'shape',
    'size',
    'thickness',
    'variants',
    'width',
  ],
});

const HELP = `Usage: npx vite-node bench/relief.ts [-- options]

Times buildRelief and the mesh encoders (stl, glb, 3mf) on depth maps the real pipeline makes from
photos of test/fixtures/photos/ (each photo resized with sharp, JPEG quality 90, as bench/speed.ts
does). Prints the median of --runs runs after one warm-up, triangle counts, stats.error and sizes.

  --runs N            runs per cell (default 5)
  --photos A,B        file names in test/fixtures/photos/ or ../shared/eval/photos/ (default: the
                      street scene, apple, smarties)
  --size WxH|native   input size (default 4000x3000, 12 MP, as the issue's target)
  --variants V,...    of base, pro, base+rmbg, pro+rmbg (default: all four)
  --width MM          relief width (default 100, bench/speed.ts's); --height-relief MM (10),
  --thickness MM      (2), --shape square|circle (square), --max-error MM (the default 0.03)
  --baseline FILE     another copy of src/relief/index.ts (e.g. an export of the previous commit):
                      its buildRelief is timed too, interleaved run by run with this one
  --baseline-formats FILE
                      likewise a copy of src/formats/index.ts: its encodeRelief is timed on the
                      same mesh, and its file sizes printed
  --help              this text
`;

const DEFAULT_PHOTOS = ['metric3d_randy-fath-G1yhU1Ej-9A-unsplash.jpg', 'opencv_apple.jpg', 'opencv_smarties.png'];
const VARIANTS = ['base', 'pro', 'base+rmbg', 'pro+rmbg'] as const;
type Variant = (typeof VARIANTS)[number];

type Build = typeof buildRelief;
type Encode = typeof encodeRelief;

async function time(work: () => unknown): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

async function depthMap(sessions: ModelSessions, photo: string, size: string, variant: Variant): Promise<DepthMap> {
  let image: Buffer = readFileSync(benchPhoto(photo));
  if (size !== 'native') {
    const [w, h] = size.split('x').map(Number) as [number, number];
    image = await sharp(image).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
  }
  const [modelType, rmbg] = variant.split('+') as ['base' | 'pro', string | undefined];
  // Without the pipeline's timings and metadata, with what a relief uses: the photo's lightness too.
  const { width, height, depth, alpha, lightness, photoPixel } = await runPipeline(
    image,
    { modelType, rmbg: rmbg === 'rmbg', degreeRmbg: 0.02 },
    sessions,
  );
  return { width, height, depth, ...(alpha ? { alpha } : {}), ...(lightness ? { lightness, photoPixel } : {}) };
}

async function main(): Promise<void> {
  const runs = Number(option('--runs') ?? 5);
  const photos = option('--photos')?.split(',') ?? DEFAULT_PHOTOS;
  const size = option('--size') ?? '4000x3000';
  const variants = (option('--variants')?.split(',') ?? VARIANTS) as Variant[];
  for (const v of variants) if (!VARIANTS.includes(v)) throw new Error(`unknown variant ${v}`);
  const params: ReliefParams = {
    width: Number(option('--width') ?? 100),
    heightRelief: Number(option('--height-relief') ?? 10),
    thicknessBase: Number(option('--thickness') ?? 2),
    shapeBase: option('--shape') === 'circle' ? 'circle' : 'square',
    sculpmode: 'emboss',
  };
  const maxError = option('--max-error');
  const options = maxError ? { maxError: Number(maxError) } : {};
  const baselineFile = option('--baseline');
  const baseline: Build | undefined = baselineFile
    ? ((await import(resolve(baselineFile))) as { buildRelief: Build }).buildRelief
    : undefined;
  const formatsFile = option('--baseline-formats');
  const baselineEncode: Encode | undefined = formatsFile
    ? ((await import(resolve(formatsFile))) as { encodeRelief: Encode }).encodeRelief
    : undefined;

  const log = (line: string) => process.stdout.write(`${line}\n`);
  log(
    `${cpus().length} cores (${cpus()[0]?.model.trim() ?? '?'}), Node ${process.version}; load before: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  log(
    `relief ${JSON.stringify(params)} ${JSON.stringify(options)}, input ${size}; median of ${runs} runs after one warm-up, ms; sizes in KiB\n`,
  );
  const sessions = new ModelSessions({ intraOpNumThreads: cpus().length });
  const maps = new Map<string, DepthMap>();
  for (const photo of photos)
    for (const variant of variants) maps.set(`${photo}|${variant}`, await depthMap(sessions, photo, size, variant));
  await sessions.release();

  // With a baseline, each cell shows "this (baseline)".
  log(
    '| photo | variant | map | grid | relief | triangles (top / bottom / walls) | error | stl | glb | 3mf | stl KiB | glb KiB | 3mf KiB | load |',
  );
  log('| --- | --- | --- | --- | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [key, map] of maps) {
    const [photo, variant] = key.split('|') as [string, Variant];
    const build: number[] = [];
    const built: number[] = [];
    const encode: Record<MeshFormat, number[]> = { stl: [], glb: [], '3mf': [] };
    const bytes: Record<MeshFormat, number> = { stl: 0, glb: 0, '3mf': 0 };
    const baseEncode: Record<MeshFormat, number[]> = { stl: [], glb: [], '3mf': [] };
    const baseBytes: Record<MeshFormat, number> = { stl: 0, glb: 0, '3mf': 0 };
    let relief = buildRelief(map, params, options);
    for (let r = 0; r <= runs; r++) {
      const ms = await time(() => (relief = buildRelief(map, params, options)));
      const baselineMs = baseline ? await time(() => baseline(map, params, options)) : NaN;
      for (const format of MESH_FORMATS) {
        let out: Buffer | undefined;
        const encodeMs = await time(async () => (out = (await encodeRelief(format, relief.mesh)).bytes));
        if (r > 0) encode[format].push(encodeMs);
        bytes[format] = out!.length;
        if (!baselineEncode) continue;
        const baseMs = await time(async () => (out = (await baselineEncode(format, relief.mesh)).bytes));
        if (r > 0) baseEncode[format].push(baseMs);
        baseBytes[format] = out!.length;
      }
      if (r === 0) continue; // warm-up: JIT and lazily loaded modules
      build.push(ms);
      built.push(baselineMs);
    }
    const { stats } = relief;
    const t = stats.triangles;
    const f = (v: number) => String(Math.round(v));
    const kib = (n: number) => (n / 1024).toFixed(0);
    const pair = (mine: string, base: string | undefined) => (base === undefined ? mine : `${mine} (${base})`);
    const reliefMs = pair(f(median(build)), baseline ? f(median(built)) : undefined);
    const times = MESH_FORMATS.map((m) => pair(f(median(encode[m])), baselineEncode ? f(median(baseEncode[m])) : undefined));
    const sizes = MESH_FORMATS.map((m) => pair(kib(bytes[m]), baselineEncode ? kib(baseBytes[m]) : undefined));
    log(
      `| ${photo.replace(/\.\w+$/, '').slice(0, 24)} | ${variant} | ${map.width}x${map.height} | ${stats.cols}x${stats.rows} | ${reliefMs} |` +
        ` ${t.total} (${t.top} / ${t.bottom} / ${t.walls}) | ${stats.error.toFixed(4)} | ${times.join(' | ')} | ${sizes.join(' | ')} | ${loadavg()[0]!.toFixed(1)} |`,
    );
  }
}

if (flag('--help')) process.stdout.write(HELP);
else {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
