// Shared checks for the relief tests: real depth maps from the pipeline, synthetic maps, an
// independent topology check of a mesh, and the outside readers (ADMesh, PrusaSlicer).
// A missing tool fails the test with the Debian package to install (.ci/run installs them).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DepthMap } from '../../src/raster/depth-map.js';
import { runPipeline } from '../../src/pipeline/run.js';
import { ModelSessions } from '../../src/models/sessions.js';
import { expect } from 'vitest';
import { meshBounds, type ReliefMesh } from '../../src/relief/index.js';
import { runTool } from '../helpers/readers.js';
import { tempDir } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

export const PHOTOS = {
  apple: 'opencv_apple.jpg', // square, an apple on a plain wall
  street: 'metric3d_randy-fath-G1yhU1Ej-9A-unsplash.jpg', // 1500 x 1000 landscape, near at the bottom
  coffee: 'skimage_coffee.png', // 600 x 400, a cup on a table
  smarties: 'opencv_smarties.png', // many separate sweets: many blobs once the background goes
} as const;

let sessions: ModelSessions | undefined;
const maps = new Map<string, Promise<DepthMap>>();

/** The pipeline's depth map of a shared photo (cached per test file). */
export function photoMap(photo: keyof typeof PHOTOS, rmbg: boolean, modelType: 'base' | 'pro' = 'base'): Promise<DepthMap> {
  const key = `${photo}/${rmbg}/${modelType}`;
  let map = maps.get(key);
  if (!map) {
    sessions ??= new ModelSessions({ intraOpNumThreads: 2 });
    const image = readPhoto(PHOTOS[photo]);
    map = runPipeline(image, { modelType, rmbg, degreeRmbg: 0.02 }, sessions);
    maps.set(key, map);
  }
  return map;
}

/** A map from a depth function and, optionally, an alpha function of (x, y) in pixels. */
export function syntheticMap(
  width: number,
  height: number,
  depth: (x: number, y: number) => number,
  alpha?: (x: number, y: number) => number,
): DepthMap {
  const d = new Float32Array(width * height);
  const a = alpha ? new Float32Array(width * height) : undefined;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (a) a[i] = alpha!(x, y);
      d[i] = a && a[i] === 0 ? 0 : depth(x, y);
    }
  }
  return a ? { width, height, depth: d, alpha: a } : { width, height, depth: d };
}

export interface Topology {
  triangles: number;
  /** Distinct vertex positions in use (vertices at the same coordinates count once, as in STL). */
  vertices: number;
  edges: number;
  /** Directed edges not matched by exactly one opposite edge, or used more than once. */
  badEdges: number;
  /** Triangles with two equal corners or an altitude under 1e-6 mm. */
  degenerate: number;
  /** Signed volume (mm³): positive when the faces point outwards. */
  volume: number;
  /** Connected pieces (triangles sharing a vertex). */
  shells: number;
  /** V - E + F: 2 per closed shell, minus 2 per handle (a hole through a shell). */
  euler: number;
}

/** Checks the mesh the way a reader of an STL sees it: by vertex positions, not by indices. */
export function topology(mesh: ReliefMesh): Topology {
  const { positions: p, indices } = mesh;
  const weld = new Map<string, number>();
  const id = new Int32Array(p.length / 3);
  for (let v = 0; v < id.length; v++) {
    const key = `${p[3 * v]},${p[3 * v + 1]},${p[3 * v + 2]}`;
    let found = weld.get(key);
    if (found === undefined) weld.set(key, (found = weld.size));
    id[v] = found;
  }
  const count = weld.size;
  const directed = new Map<number, number>();
  let degenerate = 0;
  let volume = 0;
  const parent = Int32Array.from({ length: count }, (_, i) => i);
  const root = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i]!]!;
    return i;
  };
  const used = new Uint8Array(count);
  for (let t = 0; t < indices.length; t += 3) {
    const [a, b, c] = [id[indices[t]!]!, id[indices[t + 1]!]!, id[indices[t + 2]!]!];
    for (const [u, v] of [
      [a, b],
      [b, c],
      [c, a],
    ] as const)
      directed.set(u * count + v, (directed.get(u * count + v) ?? 0) + 1);
    used[a] = used[b] = used[c] = 1;
    parent[root(b)] = root(a);
    parent[root(c)] = root(a);
    const [ax, ay, az] = [p[3 * indices[t]!]!, p[3 * indices[t]! + 1]!, p[3 * indices[t]! + 2]!];
    const [bx, by, bz] = [p[3 * indices[t + 1]!]!, p[3 * indices[t + 1]! + 1]!, p[3 * indices[t + 1]! + 2]!];
    const [cx, cy, cz] = [p[3 * indices[t + 2]!]!, p[3 * indices[t + 2]! + 1]!, p[3 * indices[t + 2]! + 2]!];
    const [ux, uy, uz, vx, vy, vz] = [bx - ax, by - ay, bz - az, cx - ax, cy - ay, cz - az];
    const area2 = Math.hypot(uy * vz - uz * vy, uz * vx - ux * vz, ux * vy - uy * vx);
    const longest = Math.max(Math.hypot(ux, uy, uz), Math.hypot(vx, vy, vz), Math.hypot(cx - bx, cy - by, cz - bz));
    if (a === b || b === c || c === a || area2 / longest < 1e-6) degenerate++;
    volume += (ax * (by * cz - bz * cy) - ay * (bx * cz - bz * cx) + az * (bx * cy - by * cx)) / 6;
  }
  let badEdges = 0;
  for (const [key, n] of directed) {
    const u = Math.floor(key / count);
    const v = key - u * count;
    if (n !== 1 || directed.get(v * count + u) !== 1) badEdges++;
  }
  const roots = new Set<number>();
  let vertices = 0;
  for (let v = 0; v < count; v++) {
    if (!used[v]) continue;
    vertices++;
    roots.add(root(v));
  }
  const edges = directed.size / 2;
  const triangles = indices.length / 3;
  return { triangles, vertices, edges, badEdges, degenerate, volume, shells: roots.size, euler: vertices - edges + triangles };
}

export interface AdmeshReport {
  facets: number;
  parts: number;
  volume: number;
  disconnectedFacets: number;
  degenerateFacets: number;
  edgesFixed: number;
  facetsRemoved: number;
  facetsAdded: number;
  facetsReversed: number;
  backwardsEdges: number;
  normalsFixed: number;
  text: string;
}

/** ADMesh's check of an STL file (Debian package admesh); it only reads the file. */
export function admesh(stlPath: string): AdmeshReport {
  const text = runTool('admesh', [stlPath]);
  const field = (pattern: RegExp): number => {
    const match = pattern.exec(text);
    if (!match) throw new Error(`admesh output has no ${pattern}:\n${text}`);
    return Number(match[1]);
  };
  return {
    facets: field(/Number of facets\s*:\s*(\d+)/),
    parts: field(/Number of parts\s*:\s*(\d+)/),
    volume: field(/Volume\s*:\s*([-\d.]+)/),
    // "Original" and "Final" columns: a mesh with nothing to fix has the same numbers in both.
    disconnectedFacets: field(/Total disconnected facets\s*:\s*(\d+)/),
    degenerateFacets: field(/Degenerate facets\s*:\s*(\d+)/),
    edgesFixed: field(/Edges fixed\s*:\s*(\d+)/),
    facetsRemoved: field(/Facets removed\s*:\s*(\d+)/),
    facetsAdded: field(/Facets added\s*:\s*(\d+)/),
    facetsReversed: field(/Facets reversed\s*:\s*(\d+)/),
    backwardsEdges: field(/Backwards edges\s*:\s*(\d+)/),
    normalsFixed: field(/Normals fixed\s*:\s*(\d+)/),
    text,
  };
}

/**
 * What ADMesh found wrong or fixed: disconnected and degenerate facets, edges fixed, facets
 * reversed, backwards edges, normals fixed. All six are 0 for a closed, consistently wound mesh.
 */
export function admeshFaults(report: AdmeshReport): number[] {
  return [
    report.disconnectedFacets,
    report.degenerateFacets,
    report.edgesFixed,
    report.facetsReversed,
    report.backwardsEdges,
    report.normalsFixed,
  ];
}

export interface SlicerInfo {
  size: [number, number, number];
  facets: number;
  manifold: boolean;
  parts: number;
  volume: number;
}

/** PrusaSlicer's own reading of a model file (`--info`): size in mm, facets, manifold, parts. */
export function slicerInfo(path: string): SlicerInfo {
  const text = runTool('prusa-slicer', ['--info', path]);
  const field = (name: string): string => {
    const match = new RegExp(`^${name} = (.+)$`, 'm').exec(text);
    if (!match) throw new Error(`prusa-slicer --info has no ${name}:\n${text}`);
    return match[1]!.trim();
  };
  return {
    size: [Number(field('size_x')), Number(field('size_y')), Number(field('size_z'))],
    facets: Number(field('number_of_facets')),
    manifold: field('manifold') === 'yes',
    parts: Number(field('number_of_parts')),
    volume: Number(field('volume')),
  };
}

/**
 * Slices a model with PrusaSlicer's default FFF printer and print settings, headless; returns the
 * G-code. A model it cannot load or slice makes it exit non-zero, which throws here.
 */
export function slice(modelPath: string): string {
  const output = `${modelPath}.gcode`;
  runTool('prusa-slicer', ['--export-gcode', modelPath, '--output', output]);
  return readFileSync(output, 'utf8');
}

/** Writes bytes to a fresh temporary folder; returns the path. */
export function writeTemp(name: string, bytes: Buffer | Uint8Array): string {
  const path = join(tempDir('relief'), name);
  writeFileSync(path, bytes);
  return path;
}

/**
 * Heights of the mesh's upward faces on a grid of points (x, y in mm, both ascending): NaN where
 * no upward face covers the point. For a relief, that is its top surface seen from above.
 */
export function topHeights(mesh: ReliefMesh, xs: number[], ys: number[]): Float64Array {
  const { positions: p, indices } = mesh;
  const out = new Float64Array(xs.length * ys.length).fill(Number.NaN);
  const step = xs.length > 1 ? xs[1]! - xs[0]! : 1;
  const stepY = ys.length > 1 ? ys[1]! - ys[0]! : 1;
  for (let t = 0; t < indices.length; t += 3) {
    const [a, b, c] = [indices[t]! * 3, indices[t + 1]! * 3, indices[t + 2]! * 3];
    const [ax, ay, bx, by, cx, cy] = [p[a]!, p[a + 1]!, p[b]!, p[b + 1]!, p[c]!, p[c + 1]!];
    const det = (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
    if (det <= 0) continue; // walls (0) and the bottom (< 0) are not seen from above
    const i0 = Math.max(0, Math.ceil((Math.min(ax, bx, cx) - xs[0]!) / step - 1e-3));
    const i1 = Math.min(xs.length - 1, Math.floor((Math.max(ax, bx, cx) - xs[0]!) / step + 1e-3));
    const j0 = Math.max(0, Math.ceil((Math.min(ay, by, cy) - ys[0]!) / stepY - 1e-3));
    const j1 = Math.min(ys.length - 1, Math.floor((Math.max(ay, by, cy) - ys[0]!) / stepY + 1e-3));
    for (let j = j0; j <= j1; j++) {
      for (let i = i0; i <= i1; i++) {
        const x = xs[i]!;
        const y = ys[j]!;
        const w1 = ((x - ax) * (cy - ay) - (y - ay) * (cx - ax)) / det;
        const w2 = ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) / det;
        const w0 = 1 - w1 - w2;
        // A little slack: the mesh is float32, the grid float64.
        if (w0 < -1e-4 || w1 < -1e-4 || w2 < -1e-4) continue;
        out[j * xs.length + i] = w0 * p[a + 2]! + w1 * p[b + 2]! + w2 * p[c + 2]!;
      }
    }
  }
  return out;
}

/**
 * What a maker checks: PrusaSlicer reads the file as a manifold of this mesh's facets, at the
 * expected size in millimetres, and slices it into G-code with extruding moves.
 */
export function expectPrintable(path: string, mesh: ReliefMesh, size: { width: number; height: number }): void {
  const info = slicerInfo(path);
  const { min, max } = meshBounds(mesh);
  expect(info.manifold).toBe(true);
  expect(info.facets).toBe(mesh.indices.length / 3);
  expect(info.size[0]).toBeCloseTo(size.width, 3);
  expect(info.size[1]).toBeCloseTo(max[1] - min[1], 3);
  expect(info.size[2]).toBeCloseTo(size.height, 3);

  const gcode = slice(path);
  expect(gcode.length).toBeGreaterThan(10_000);
  expect(gcode).toMatch(/^;LAYER_CHANGE$/m);
  expect(gcode).toMatch(/^G1 X[\d.]+ Y[\d.]+ E[\d.]+/m); // extruding moves
}
