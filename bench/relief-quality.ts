// How a relief reads, on photos: the fine shape of the top surface and whether it copies the photo.
//
//   npx vite-node bench/relief-quality.ts [-- --out <dir>] [--photos <regex>] [--try <json>]...
//
// For each photo (../shared/eval/photos and the photos of ../shared/eval/masks), at the API's relief
// defaults (pro, rmbg 1, 40 mm wide, 1.3 mm relief), per variant of the engine:
//   - fine shape: RMS (mm) of the top height minus its 2 mm Gaussian blur, inside the footprint;
//   - texture: correlation of that fine shape with the photo's own fine luminance (the same high
//     pass): a relief that copies the photo's texture (dark eyes sunk in, a highlight raised) scores
//     near ±1, shape from depth near 0;
//   - time of the height field (depth map to heights, engine included), ms.
// Writes a contact sheet per photo: the photo and a shaded render of each variant's heights.
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { decodeImage } from '../src/pipeline/decode.js';
import { runPipeline } from '../src/pipeline/run.js';
import { ModelSessions } from '../src/pipeline/sessions.js';
import { resizeBilinear } from '../src/pipeline/upsample.js';
import { maskedBlur } from '../src/relief/bas-relief.js';
import { DEFAULT_RELIEF_OPTIONS, heightField, type HeightField, type ReliefParams } from '../src/relief/heightfield.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string', default: 'relief-out' },
    photos: { type: 'string', default: '' },
    try: { type: 'string', multiple: true, default: [] },
    eval: { type: 'string', default: '../shared/eval' },
  },
});
const evalDir = resolve(values.eval);
const out = resolve(values.out);
mkdirSync(out, { recursive: true });

const API_DEFAULTS: ReliefParams = { heightRelief: 1.3, width: 40, shapeBase: 'square', thicknessBase: 1, sculpmode: 'emboss' };
const variants: { name: string; params: ReliefParams }[] = [
  { name: 'linear (detail 0, smooth 0)', params: { ...API_DEFAULTS, reliefDetail: 0, reliefSmooth: 0 } },
  { name: 'default', params: API_DEFAULTS },
  ...values.try.map((spec) => ({ name: spec, params: { ...API_DEFAULTS, ...(JSON.parse(spec) as Partial<ReliefParams>) } })),
];

const photos = [
  ...readdirSync(join(evalDir, 'photos')).map((f) => join(evalDir, 'photos', f)),
  ...readdirSync(join(evalDir, 'masks'))
    .filter((f) => f.includes('.rgb.'))
    .map((f) => join(evalDir, 'masks', f)),
].filter((p) => new RegExp(values.photos).test(p));

/** Fine shape (height minus its 2 mm blur) and the photo's fine luminance, on the field's grid. */
async function fineShape(hf: HeightField, photo: Buffer, mapWidth: number, mapHeight: number): Promise<{ rms: number; texture: number }> {
  const sigma = 2 / hf.mmPerSample;
  const fine = new Float32Array(hf.z.length);
  const blurred = maskedBlur(hf.z, hf.inside, hf.cols, hf.rows, sigma);
  for (let i = 0; i < fine.length; i++) if (hf.inside[i]) fine[i] = hf.z[i]! - blurred[i]!;
  // The photo's luminance over the grid's region of the map, resampled to the grid.
  const decoded = await decodeImage(photo);
  const luma = new Float32Array(decoded.width * decoded.height);
  for (let i = 0; i < luma.length; i++) luma[i] = (0.299 * decoded.rgb[i * 3]! + 0.587 * decoded.rgb[i * 3 + 1]! + 0.114 * decoded.rgb[i * 3 + 2]!) / 255;
  const box = hf.region;
  const crop = new Float32Array(box.w * box.h);
  const sx = decoded.width / mapWidth;
  const sy = decoded.height / mapHeight;
  for (let y = 0; y < box.h; y++) {
    for (let x = 0; x < box.w; x++) {
      const px = Math.min(decoded.width - 1, Math.floor((box.x + x) * sx));
      const py = Math.min(decoded.height - 1, Math.floor((box.y + y) * sy));
      crop[y * box.w + x] = luma[py * decoded.width + px]!;
    }
  }
  const lumaGrid = resizeBilinear({ width: box.w, height: box.h, data: crop }, hf.cols, hf.rows).data;
  const lumaBlur = maskedBlur(lumaGrid, hf.inside, hf.cols, hf.rows, sigma);
  let ss = 0;
  let n = 0;
  let ab = 0;
  let aa = 0;
  let bb = 0;
  for (let i = 0; i < fine.length; i++) {
    if (!hf.inside[i]) continue;
    const a = fine[i]!;
    const b = lumaGrid[i]! - lumaBlur[i]!;
    ss += a * a;
    n++;
    ab += a * b;
    aa += a * a;
    bb += b * b;
  }
  return { rms: Math.sqrt(ss / Math.max(1, n)), texture: aa > 0 && bb > 0 ? ab / Math.sqrt(aa * bb) : 0 };
}

/** A grey render of the heights lit from the top left (Lambert), background black. */
function shaded(hf: HeightField, exaggerate = 1): Uint8Array {
  const { cols, rows, z, inside, mmPerSample } = hf;
  const img = new Uint8Array(cols * rows);
  const light = [-0.5, -0.6, 0.62];
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) {
      const i = y * cols + x;
      if (!inside[i]) continue;
      const zx = x + 1 < cols && inside[i + 1] ? z[i + 1]! - z[i]! : x > 0 && inside[i - 1] ? z[i]! - z[i - 1]! : 0;
      const zy = y + 1 < rows && inside[i + cols] ? z[i + cols]! - z[i]! : y > 0 && inside[i - cols] ? z[i]! - z[i - cols]! : 0;
      const nx = (-zx * exaggerate) / mmPerSample;
      const ny = (-zy * exaggerate) / mmPerSample;
      const len = Math.hypot(nx, ny, 1);
      const lambert = Math.max(0, (nx * light[0]! + ny * light[1]! + light[2]!) / len);
      img[i] = Math.round(40 + 215 * lambert);
    }
  }
  return img;
}

const sessions = new ModelSessions({ intraOpNumThreads: 2 });
const rows: string[] = [];
const totals = variants.map(() => ({ rms: 0, texture: 0, ms: 0 }));
for (const photo of photos) {
  const bytes = readFileSync(photo);
  const map = await runPipeline(bytes, { modelType: 'pro', rmbg: true, degreeRmbg: 0.02 }, sessions);
  const name = photo.split('/').pop()!.replace(/\.(rgb\.)?(png|jpg|jpeg)$/, '');
  const panels: Buffer[] = [];
  const cells: string[] = [];
  for (const [k, v] of variants.entries()) {
    const start = performance.now();
    const hf = heightField(map, v.params, DEFAULT_RELIEF_OPTIONS);
    const ms = performance.now() - start;
    const score = await fineShape(hf, bytes, map.width, map.height);
    totals[k]!.rms += score.rms;
    totals[k]!.texture += Math.abs(score.texture);
    totals[k]!.ms += ms;
    cells.push(`${score.rms.toFixed(3)} / ${score.texture.toFixed(2)} / ${Math.round(ms)}`);
    panels.push(await sharp(shaded(hf), { raw: { width: hf.cols, height: hf.rows, channels: 1 } }).resize({ height: 300 }).png().toBuffer());
  }
  rows.push(`| ${name} | ${cells.join(' | ')} |`);
  const photoPanel = await sharp(bytes).resize({ height: 300 }).png().toBuffer();
  const all = [photoPanel, ...panels];
  const widths = await Promise.all(all.map(async (b) => (await sharp(b).metadata()).width!));
  const sheet = sharp({ create: { width: widths.reduce((a, w) => a + w + 8, 0), height: 300, channels: 3, background: '#202020' } });
  let left = 0;
  const composite = all.map((input, k) => {
    const item = { input, left, top: 0 };
    left += widths[k]! + 8;
    return item;
  });
  await sheet.composite(composite).png().toFile(join(out, `relief-${name}.png`));
  process.stderr.write(`  relief: ${name}\n`);
}
await sessions.release();

console.log(`Relief quality on ${photos.length} photos (pro, rmbg 1, 40 mm, 1.3 mm): fine shape RMS (mm) / texture correlation / height field ms\n`);
console.log(`| photo | ${variants.map((v) => v.name).join(' | ')} |`);
console.log(`| --- |${variants.map(() => ' ---: |').join('')}`);
for (const r of rows) console.log(r);
const count = Math.max(1, photos.length);
console.log(`| **mean** (\\|texture\\|) | ${totals.map((t) => `${(t.rms / count).toFixed(3)} / ${(t.texture / count).toFixed(2)} / ${Math.round(t.ms / count)}`).join(' | ')} |`);
console.log(`\ncontact sheets: ${out}/relief-<photo>.png (photo, then each variant shaded)`);
