// What a lithophane will look like held against a light: its 3MF read back, each part's thickness
// measured over a raster, and the light through the stack computed with the filaments' absorption
// (contract/filaments.ts, the same table the server shaped it with). Pure code (fflate to unzip, no Node or
// DOM APIs): the web UI's preview of a colour lithophane and the eval's contact sheet use it, as
// `@depthmill/client/backlight` (a subpath, so the client itself does not carry fflate).
import { unzipSync } from 'fflate';
import { filamentNamed, FILAMENTS, type Filament } from './contract/filaments.js';

/** One part of a 3MF: its name (a colour lithophane's says its filament), vertices and triangles. */
export interface ModelPart {
  name: string;
  positions: Float32Array;
  indices: Uint32Array;
}

/**
 * The parts of a 3MF package (its 3D/3dmodel.model), in the file's order: each mesh object, split
 * by its triangles' base materials (p1) where they have them, a part then named as its material.
 */
export function readModelParts(threemf: Uint8Array): ModelPart[] {
  const files = unzipSync(threemf, { filter: (file) => file.name.toLowerCase() === '3d/3dmodel.model' });
  const model = Object.values(files)[0];
  if (!model) throw new Error('not a 3MF: no 3D/3dmodel.model');
  // TextDecoder: several times faster than fflate's strFromU8 on a model of tens of megabytes.
  const text = new TextDecoder().decode(model);
  const materials = [...text.matchAll(/<base\b[^>]*\bname="([^"]*)"/g)].map((match) => match[1]!);
  const parts: ModelPart[] = [];
  for (const object of text.matchAll(/<object\b([^>]*)>([\s\S]*?)<\/object>/g)) {
    const [, attributes, body] = object;
    if (!body!.includes('<mesh>')) continue;
    const name = /\bname="([^"]*)"/.exec(attributes!)?.[1] ?? '';
    const coordinates: number[] = [];
    for (const vertex of body!.matchAll(/<vertex x="([^"]+)" y="([^"]+)" z="([^"]+)"/g))
      coordinates.push(Number(vertex[1]), Number(vertex[2]), Number(vertex[3]));
    const positions = Float32Array.from(coordinates);
    const byMaterial = new Map<number, number[]>();
    for (const triangle of body!.matchAll(/<triangle v1="(\d+)" v2="(\d+)" v3="(\d+)"(?:[^>]*?\bp1="(\d+)")?/g)) {
      const material = triangle[4] === undefined ? -1 : Number(triangle[4]);
      if (!byMaterial.has(material)) byMaterial.set(material, []);
      byMaterial.get(material)!.push(Number(triangle[1]), Number(triangle[2]), Number(triangle[3]));
    }
    for (const [material, corners] of byMaterial)
      parts.push({ name: materials[material] ?? name, positions, indices: Uint32Array.from(corners) });
  }
  return parts;
}

/** A raster over the parts' X-Y extent, the largest Y on the first row (the picture upright). */
export interface Raster {
  width: number;
  height: number;
  minX: number;
  maxY: number;
  /** Millimetres per pixel. */
  step: number;
}

/** The raster of `longSide` pixels over these parts' extent. */
export function rasterOver(parts: readonly Pick<ModelPart, 'positions'>[], longSide: number): Raster {
  let [minX, minY, maxX, maxY] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const { positions } of parts) {
    for (let i = 0; i < positions.length; i += 3) {
      minX = Math.min(minX, positions[i]!);
      maxX = Math.max(maxX, positions[i]!);
      minY = Math.min(minY, positions[i + 1]!);
      maxY = Math.max(maxY, positions[i + 1]!);
    }
  }
  const step = Math.max(maxX - minX, maxY - minY) / longSide;
  if (!(step > 0)) throw new Error('the model has no extent');
  return { width: Math.max(1, Math.round((maxX - minX) / step)), height: Math.max(1, Math.round((maxY - minY) / step)), minX, maxY, step };
}

/** Whether point a comes before b (x, then y): the one order both triangles of an edge agree on. */
const before = (ax: number, ay: number, bx: number, by: number) => ax < bx || (ax === bx && ay < by);

/**
 * A closed mesh's thickness (mm) along vertical lines through each pixel's centre: the heights of
 * the faces seen from above less those seen from below (walls are seen from neither). A pixel on
 * an edge two triangles share counts for exactly one of them: the edge's value is computed in one
 * order for both, and a tie goes to the triangle that runs the edge in that order.
 */
export function thicknessMap(part: Pick<ModelPart, 'positions' | 'indices'>, raster: Raster): Float32Array {
  const { positions: p, indices } = part;
  const { width, height, minX, maxY, step } = raster;
  const out = new Float32Array(width * height);
  // Pixel centres in mm: x = minX + (i + 0.5) step, y = maxY - (j + 0.5) step.
  const edge = (ax: number, ay: number, bx: number, by: number, x: number, y: number) =>
    before(ax, ay, bx, by) ? (bx - ax) * (y - ay) - (by - ay) * (x - ax) : -((ax - bx) * (y - by) - (ay - by) * (x - bx));
  for (let t = 0; t < indices.length; t += 3) {
    let a = 3 * indices[t]!;
    let b = 3 * indices[t + 1]!;
    const c = 3 * indices[t + 2]!;
    const area = (p[b]! - p[a]!) * (p[c + 1]! - p[a + 1]!) - (p[b + 1]! - p[a + 1]!) * (p[c]! - p[a]!);
    if (area === 0) continue;
    // Up-facing (counter-clockwise from above) adds its height, down-facing takes it away.
    const sign = area > 0 ? 1 : -1;
    if (sign < 0) [a, b] = [b, a];
    const [ax, ay, az, bx, by, bz, cx, cy, cz] = [p[a]!, p[a + 1]!, p[a + 2]!, p[b]!, p[b + 1]!, p[b + 2]!, p[c]!, p[c + 1]!, p[c + 2]!];
    const whole = Math.abs(area);
    const i0 = Math.max(0, Math.ceil((Math.min(ax, bx, cx) - minX) / step - 0.5));
    const i1 = Math.min(width - 1, Math.floor((Math.max(ax, bx, cx) - minX) / step - 0.5));
    const j0 = Math.max(0, Math.ceil((maxY - Math.max(ay, by, cy)) / step - 0.5));
    const j1 = Math.min(height - 1, Math.floor((maxY - Math.min(ay, by, cy)) / step - 0.5));
    for (let j = j0; j <= j1; j++) {
      const y = maxY - (j + 0.5) * step;
      for (let i = i0; i <= i1; i++) {
        const x = minX + (i + 0.5) * step;
        const wa = edge(bx, by, cx, cy, x, y);
        const wb = edge(cx, cy, ax, ay, x, y);
        const wc = edge(ax, ay, bx, by, x, y);
        if (wa < 0 || wb < 0 || wc < 0) continue;
        if ((wa === 0 && !before(bx, by, cx, cy)) || (wb === 0 && !before(cx, cy, ax, ay)) || (wc === 0 && !before(ax, ay, bx, by)))
          continue;
        out[j * width + i]! += (sign * (wa * az + wb * bz + wc * cz)) / whole;
      }
    }
  }
  return out;
}

/** An RGBA picture, 8 bits a channel, rows from the top. */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8ClampedArray;
}

/** The filament a part is printed in: its name's, or white (a plain lithophane's one part). */
function filamentOf(part: ModelPart): Filament {
  return filamentNamed(part.name) ?? FILAMENTS.find((filament) => filament.name === 'white')!;
}

const toSrgb = (linear: number) => Math.round(255 * (linear <= 0.0031308 ? 12.92 * linear : 1.055 * linear ** (1 / 2.4) - 0.055));

/**
 * The parts as seen with a white light behind them: per pixel, the share of linear red, green and
 * blue the stacked filaments let through (Beer–Lambert), exposed so the brightest pixel is white;
 * transparent where there is no part.
 */
export function backlitImage(parts: readonly ModelPart[], longSide = 512): RgbaImage {
  const raster = rasterOver(parts, longSide);
  const maps = parts.map((part) => thicknessMap(part, raster));
  const filaments = parts.map(filamentOf);
  const size = raster.width * raster.height;
  const light = new Float32Array(3 * size);
  const covered = new Uint8Array(size);
  let brightest = 0;
  for (let i = 0; i < size; i++) {
    const densities = [0, 0, 0];
    for (let f = 0; f < maps.length; f++) {
      const t = maps[f]![i]!;
      if (t > 1e-4) covered[i] = 1;
      for (let c = 0; c < 3; c++) densities[c]! += filaments[f]!.absorption[c]! * t;
    }
    if (!covered[i]) continue;
    for (let c = 0; c < 3; c++) {
      const through = Math.exp(-densities[c]!);
      light[3 * i + c] = through;
      brightest = Math.max(brightest, through);
    }
  }
  const rgba = new Uint8ClampedArray(4 * size);
  for (let i = 0; i < size; i++) {
    if (!covered[i]) continue;
    for (let c = 0; c < 3; c++) rgba[4 * i + c] = toSrgb(light[3 * i + c]! / brightest);
    rgba[4 * i + 3] = 255;
  }
  return { width: raster.width, height: raster.height, rgba };
}

/** A 3MF lithophane (colour or plain) as seen back-lit. */
export function backlit3mf(threemf: Uint8Array, longSide = 512): RgbaImage {
  return backlitImage(readModelParts(threemf), longSide);
}
