// Pipeline timing per image: base and pro, with and without background removal, at typical photo
// sizes and at 12 MP, every stage including each encoder; then the model floor (bare session.run,
// warm) and how far end to end is above it. Prints medians (the machine may be shared: never trust
// a single run) and the load average around the runs.
//
//   npx vite-node bench/speed.ts [-- --json <file>] [--runs <n>] [--photo <file>] [--sizes 640x480,...]
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { DEPTH_FORMATS, MESH_FORMATS } from '@depthmill/client/contract';
import { encodeDepthMap, encodeRelief } from '../src/formats/index.js';
import { runPipeline, type PipelineParams, type StageTimings } from '../src/pipeline/run.js';
import { ModelSessions, type LoadedModel, type PipelineSessions } from '../src/models/sessions.js';
import { buildRelief } from '../src/relief/index.js';
import type { TaskParams } from '../src/contract/task.js';
import { benchArgs } from './args.js';
import { MACHINE, median } from './report.js';
import { STREET } from './photos.js';

const { flag, option } = benchArgs({ values: ['json', 'photo', 'runs', 'sizes'] });

const HELP = `Usage: npx vite-node bench/speed.ts [-- --json <file>] [--runs <n>] [--photo <file>] [--sizes WxH,...]

Times runPipeline stage by stage for base and pro, rmbg 0 and 1, on one photo resized to 640x480,
1500x1000 and 4000x3000 (12 MP, upscaled with sharp, JPEG quality 90), plus each encoder (exr, png,
bmp; relief build, stl, glb, 3mf) on the same map. Depth is split into the model's session.run
calls ("passes": count and time) and the rest ("fusion": pre/post-processing, tile blending,
object shaping). Then the floor: bare session.run of each model at its input size, warm.
Prints the median of --runs runs (default 3) per cell. Default photo: the street scene of test/fixtures/photos/.
`;

/** Milliseconds of session.run per model name since the last reset, and how many calls. */
class RunClock {
  ms = new Map<string, number>();
  calls = new Map<string, number>();
  reset(): void {
    this.ms.clear();
    this.calls.clear();
  }
  add(name: string, ms: number): void {
    this.ms.set(name, (this.ms.get(name) ?? 0) + ms);
    this.calls.set(name, (this.calls.get(name) ?? 0) + 1);
  }
}

/** The pipeline's own sessions, with each session.run timed (the pipeline's code is untouched). */
function timedSessions(inner: ModelSessions, clock: RunClock): PipelineSessions {
  const wrapped = new Map<string, LoadedModel>();
  const wrap = async (task: 'depth' | 'mask', loading: Promise<LoadedModel>): Promise<LoadedModel> => {
    const model = await loading;
    let cached = wrapped.get(model.name);
    if (!cached) {
      const session = new Proxy(model.session, {
        get(target, prop) {
          if (prop === 'run') {
            return async (...args: Parameters<ort.InferenceSession['run']>) => {
              const start = performance.now();
              try {
                return await target.run(...args);
              } finally {
                clock.add(`${task}:${model.name}`, performance.now() - start);
              }
            };
          }
          const value: unknown = Reflect.get(target, prop, target);
          return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
        },
      });
      cached = { ...model, session };
      wrapped.set(model.name, cached);
    }
    return cached;
  };
  return {
    depth: (modelType) => wrap('depth', inner.depth(modelType)),
    mask: () => wrap('mask', inner.mask()),
    decodeLimits: inner.decodeLimits,
  };
}

const STAGES = [
  'decode',
  'mask',
  'maskRun',
  'depthRuns',
  'depthPasses',
  'fusion',
  'upsample',
  'normalize',
  'total',
  ...DEPTH_FORMATS,
  'relief',
  ...MESH_FORMATS,
] as const;
type Stage = (typeof STAGES)[number];

export interface StageRecord {
  kind: 'stages';
  size: string;
  variant: string;
  runs: number;
  /** Medians, milliseconds (depthPasses: a count). */
  median: Record<Stage, number>;
  loadavg: number[];
}
export interface FloorRecord {
  kind: 'floor';
  model: string;
  input: string;
  runs: number;
  medianMs: number;
  loadavg: number[];
}
export interface RatioRecord {
  kind: 'ratio';
  size: string;
  variant: string;
  passes: string;
  floorMs: number;
  /** Pipeline total plus the PNG encoder, median. */
  endToEndMs: number;
  ratio: number;
  /** end to end over (floor + decode + png encode): the 1.25x goal for base. */
  ratioWithIo: number;
}

async function floor(model: LoadedModel, runs: number): Promise<number> {
  const { width, height } = model.entry.input;
  const feeds = {
    [model.session.inputNames[0]!]: new ort.Tensor('float32', new Float32Array(3 * width * height).fill(0.5), [1, 3, height, width]),
  };
  for (let i = 0; i < 3; i++) await model.session.run(feeds);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await model.session.run(feeds);
    times.push(performance.now() - start);
  }
  return median(times);
}

export async function speedBench(options: {
  runs: number;
  photo: string;
  sizes: [number, number][];
  log: (line: string) => void;
}): Promise<(StageRecord | FloorRecord | RatioRecord)[]> {
  const { runs, log } = options;
  const source = readFileSync(options.photo);
  const inner = new ModelSessions({ intraOpNumThreads: cpus().length });
  const clock = new RunClock();
  const sessions = timedSessions(inner, clock);
  const records: (StageRecord | FloorRecord | RatioRecord)[] = [];
  log(
    `machine: ${MACHINE}; load average before: ${loadavg()
      .map((v) => v.toFixed(2))
      .join(' ')}`,
  );
  log(`median of ${runs} runs after one warm-up, milliseconds; passes = depth session.run calls (mask: 1 more when rmbg)\n`);
  log(
    '| input | variant | decode | mask (run) | depth runs (passes) | fusion | upsample | normalize | pipeline | exr | png | bmp | relief | stl | glb | 3mf | load |',
  );
  log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  const f = (v: number): string => String(Math.round(v));
  for (const [w, h] of options.sizes) {
    const image = await sharp(source).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toBuffer();
    for (const modelType of ['base', 'pro'] as const) {
      for (const rmbg of [false, true]) {
        const params: TaskParams = { ...RELIEF_DEFAULTS, format: 'png', modelType, rmbg, degreeRmbg: 0.02 };
        const all: Record<Stage, number>[] = [];
        for (let r = 0; r <= runs; r++) {
          clock.reset();
          const map = await runPipeline(image, params satisfies PipelineParams, sessions);
          const row = stageRow(map.timings, clock);
          for (const format of DEPTH_FORMATS) row[format] = await timed(() => encodeDepthMap(format, map, map.metadata));
          let mark = performance.now();
          const { mesh } = buildRelief(map, params);
          row.relief = performance.now() - mark;
          for (const format of MESH_FORMATS) {
            mark = performance.now();
            await encodeRelief(format, mesh);
            row[format] = performance.now() - mark;
          }
          if (r > 0) all.push(row); // the first run warms caches and lazily created sessions
        }
        const med = Object.fromEntries(STAGES.map((k) => [k, median(all.map((row) => row[k]))])) as Record<Stage, number>;
        const variant = `${modelType}${rmbg ? '+rmbg' : ''}`;
        const load = loadavg();
        records.push({ kind: 'stages', size: `${w}x${h}`, variant, runs, median: med, loadavg: load });
        log(
          `| ${w}x${h} | ${variant} | ${f(med.decode)} | ${f(med.mask)} (${f(med.maskRun)}) | ${f(med.depthRuns)} (${med.depthPasses}) | ${f(med.fusion)} | ${f(med.upsample)} | ${f(med.normalize)} | ${f(med.total)} | ${STAGES.slice(
            9,
          )
            .map((k) => f(med[k]))
            .join(' | ')} | ${load[0]!.toFixed(1)} |`,
        );
      }
    }
  }

  // The floor: each model alone, warm, at its input size, on the same sessions.
  log('\n| model | input | session.run median (ms) | load |\n| --- | --- | ---: | ---: |');
  const floorMs = new Map<string, number>();
  for (const model of [await inner.depth('base'), await inner.mask()]) {
    if (floorMs.has(model.name)) continue;
    const ms = await floor(model, Math.max(10, runs * 3));
    floorMs.set(model.name, ms);
    const input = `${model.entry.input.width}x${model.entry.input.height}`;
    const load = loadavg();
    records.push({ kind: 'floor', model: model.name, input, runs: Math.max(10, runs * 3), medianMs: ms, loadavg: load });
    log(`| ${model.name} | ${input} | ${ms.toFixed(1)} | ${load[0]!.toFixed(1)} |`);
  }
  const depthFloor = floorMs.get((await inner.depth('base')).name)!;
  const maskFloor = floorMs.get((await inner.mask()).name)!;
  log('\nEnd to end (pipeline + PNG encode) over the floor of the passes it needs, and over floor + decode + encode\n');
  log(
    '| input | variant | passes | floor (ms) | end to end (ms) | ÷ floor | ÷ (floor + decode + encode) |\n| --- | --- | --- | ---: | ---: | ---: | ---: |',
  );
  for (const record of records) {
    if (record.kind !== 'stages') continue;
    const rmbg = record.variant.endsWith('+rmbg');
    const passes = `${record.median.depthPasses} depth${rmbg ? ' + 1 mask' : ''}`;
    const floorTotal = record.median.depthPasses * depthFloor + (rmbg ? maskFloor : 0);
    const endToEnd = record.median.total + record.median.png;
    const ratio: RatioRecord = {
      kind: 'ratio',
      size: record.size,
      variant: record.variant,
      passes,
      floorMs: floorTotal,
      endToEndMs: endToEnd,
      ratio: endToEnd / floorTotal,
      ratioWithIo: endToEnd / (floorTotal + record.median.decode + record.median.png),
    };
    records.push(ratio);
    log(
      `| ${ratio.size} | ${ratio.variant} | ${passes} | ${f(floorTotal)} | ${f(endToEnd)} | ${ratio.ratio.toFixed(1)} | ${ratio.ratioWithIo.toFixed(2)} |`,
    );
  }
  await inner.release();
  return records;
}

const RELIEF_DEFAULTS = {
  responseFormat: 'url',
  heightRelief: 10,
  width: 100,
  shapeBase: 'square',
  thicknessBase: 2,
  sculpmode: 'emboss',
} as const;

async function timed(work: () => Promise<unknown>): Promise<number> {
  const start = performance.now();
  await work();
  return performance.now() - start;
}

function stageRow(t: StageTimings, clock: RunClock): Record<Stage, number> {
  let depthRuns = 0;
  let depthPasses = 0;
  let maskRun = 0;
  for (const [name, ms] of clock.ms) {
    if (name.startsWith('mask:')) maskRun += ms;
    else {
      depthRuns += ms;
      depthPasses += clock.calls.get(name) ?? 0;
    }
  }
  const row = Object.fromEntries(STAGES.map((k) => [k, 0])) as Record<Stage, number>;
  return {
    ...row,
    decode: t.decode,
    mask: t.mask,
    maskRun,
    depthRuns,
    depthPasses,
    fusion: t.depth - depthRuns,
    upsample: t.upsample,
    normalize: t.normalize,
    total: t.total,
  };
}

export function parseSizes(text: string): [number, number][] {
  return text.split(',').map((s) => s.split('x').map(Number) as [number, number]);
}

export const DEFAULT_PHOTO = STREET;

{
  if (flag('--help')) process.stdout.write(HELP);
  else {
    speedBench({
      runs: Number(option('--runs') ?? 3),
      photo: option('--photo') ?? DEFAULT_PHOTO,
      sizes: parseSizes(option('--sizes') ?? '640x480,1500x1000,4000x3000'),
      log: (line) => process.stdout.write(`${line}\n`),
    })
      .then((records) => {
        const json = option('--json');
        if (json)
          writeFileSync(
            json,
            JSON.stringify(
              records.map((r) => ({ ...r, machine: MACHINE })),
              null,
              1,
            ),
          );
      })
      .catch((error: unknown) => {
        process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
        process.exit(1);
      });
  }
}
