// The README's picture, made by the project itself from one photo: the photo | its depth map | the
// relief | the lithophane held against a lamp. Each output is what a task returns (src/render.ts,
// the code of the workers and the command line, with the API's defaults); the two meshes are drawn
// from the STL files themselves, through the evaluation's mesh rasteriser and raking light.
//
//   npm run docs:picture [-- --photo test/fixtures/photos/facerec_obama.jpg --out docs/images/photo-to-print.jpg]
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { createTaskFields, toTaskParams } from '../src/contract/create-task-schema.js';
import { ModelSessions } from '../src/models/sessions.js';
import { decodeImage } from '../src/raster/decode.js';
import type { ReliefMesh } from '../src/relief/mesh.js';
import { renderOutput } from '../src/render.js';
import { rasteriseTop, type TopGrid } from './eval/recognisability.js';
import { rakingShade } from './eval/relief-quality.js';
import { contactSheet, greyPanel, photoPanel, type Panel } from './eval/render.js';

/** Light a lithophane lets through per mm of thickness, as exp(-k·t): ~1.2/mm is what white PLA shows by eye (dark 3 mm, bright 0.8 mm). */
const LITHO_ATTENUATION_PER_MM = 1.2;
/** A warm lamp behind the plate (sRGB of the brightest transmitted light). */
const LAMP = [255, 236, 200] as const;
const PANEL_HEIGHT = 380;

/** A binary STL (what src/formats/stl.ts writes) as a mesh: three vertices per triangle, none shared. */
function readBinaryStl(bytes: Buffer): ReliefMesh {
  const count = bytes.readUInt32LE(80);
  const positions = new Float32Array(count * 9);
  for (let t = 0; t < count; t++) {
    // Each record: normal (3 floats), three vertices (9 floats), a 2-byte attribute.
    for (let k = 0; k < 9; k++) positions[t * 9 + k] = bytes.readFloatLE(84 + t * 50 + 12 + k * 4);
  }
  return { positions, indices: Uint32Array.from({ length: count * 3 }, (_, i) => i) };
}

/** The relief's top under the evaluation's raking light (25° above the horizon, from the upper left). */
function reliefPanel(top: TopGrid, width: number, height: number): Panel {
  const shade = rakingShade(top);
  // Background (no mesh) a flat dark grey, as the eval's sheets show it.
  for (let i = 0; i < shade.length; i++) if (!top.inside[i]) shade[i] = 0.16;
  return greyPanel({ width: top.cols, height: top.rows, data: shade }, width, height);
}

/** The lithophane seen from the front with a lamp behind it: transmitted light exp(-k·thickness). */
function backlitPanel(top: TopGrid, width: number, height: number): Panel {
  const thinnest = top.z.reduce((low, z, i) => (top.inside[i] ? Math.min(low, z) : low), Infinity);
  // Linear light, shown sRGB-encoded (as a camera would see the lamp through the plate).
  const light = top.z.map((z) => Math.exp(-LITHO_ATTENUATION_PER_MM * (z - thinnest)) ** (1 / 2.2));
  const grey = greyPanel({ width: top.cols, height: top.rows, data: light }, width, height);
  const rgb = grey.rgb.map((v, i) => Math.round((v * LAMP[i % 3]!) / 255));
  return { width, height, rgb };
}

/** Create-task fields (as a client sends them) -> the task's parameters, defaulted as the API does. */
function params(fields: Record<string, string>) {
  return toTaskParams(createTaskFields.parse(fields));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      photo: { type: 'string', default: 'test/fixtures/photos/facerec_obama.jpg' },
      out: { type: 'string', default: 'docs/images/photo-to-print.jpg' },
    },
  });
  const photoPath = values.photo;
  const bytes = readFileSync(photoPath);
  const sessions = new ModelSessions({ intraOpNumThreads: cpus().length });
  const decoded = await decodeImage(bytes);
  const h = PANEL_HEIGHT;
  const w = Math.round((h * decoded.width) / decoded.height);

  const depth = await renderOutput(bytes, params({ format: '2', model_type: 'pro', rmbg: '1' }), sessions);
  // grey16 keeps the PNG's 16 bits (extractChannel would go through 8); the grey is every channels-th sample.
  const depthRaw = await sharp(depth.bytes).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const { width: mapWidth, height: mapHeight, channels } = depthRaw.info;
  const samples = new Uint16Array(depthRaw.data.buffer, depthRaw.data.byteOffset, depthRaw.data.length / 2);
  const depthPlane = {
    width: mapWidth,
    height: mapHeight,
    data: Float32Array.from({ length: mapWidth * mapHeight }, (_, i) => samples[i * channels]! / 65535),
  };

  const relief = await renderOutput(bytes, params({ format: '3', model_type: 'pro', rmbg: '1', width: '100' }), sessions);
  const litho = await renderOutput(bytes, params({ format: '3', relief_mode: 'lithophane', width: '100' }), sessions);
  await sessions.release();

  const panels = [
    await photoPanel(decoded.rgb, decoded.width, decoded.height, w, h),
    greyPanel(depthPlane, w, h),
    reliefPanel(rasteriseTop(readBinaryStl(relief.bytes)), w, h),
    backlitPanel(rasteriseTop(readBinaryStl(litho.bytes)), w, h),
  ];
  const label = `photo | depth map (near = white, ${depth.model}) | relief STL, ${relief.mesh!.triangles.toLocaleString('en')} triangles | lithophane STL, backlit`;
  const sheet = await contactSheet([{ label, panels }], `Depthmill: one photo (${basename(photoPath)}) to a depth map and two prints`);
  mkdirSync(dirname(values.out), { recursive: true });
  writeFileSync(values.out, await sharp(sheet).jpeg({ quality: 82, mozjpeg: true }).toBuffer());
  process.stdout.write(`${values.out}: ${panels.length} panels of ${w}×${h}\n`);
}

await main();
