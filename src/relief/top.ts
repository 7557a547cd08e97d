// Step 2 of a relief: the top surface, a TIN within maxError of the heights, cut along the outline.
//
// Outside the region the heights are pushed far down, so any TIN triangle that mixes inside and
// outside samples keeps being refined until it holds no sample but its corners; marching
// triangles then cut those along the outline (the zero line of the region function, interpolated
// on their edges). The highest sample is pushed far up, so it becomes a vertex and the relief
// keeps its exact height.
import type { HeightField } from './heightfield.js';
import { TriangleList, Vertices } from './surface.js';
import { refineTin } from './tin.js';

/** Where an outline crossing may sit on its edge: never closer than this fraction to a sample. */
const CROSSING_MARGIN = 0.05;
/** Millimetres added to (or taken from) a height to force the TIN to resolve it exactly. */
const FORCE = 1e4;

export interface TopSurface {
  vertices: Vertices;
  /** Oriented so their normals point up. */
  triangles: TriangleList;
  /** Largest vertical distance (mm) between the surface and the height samples. */
  error: number;
}

export function topSurface(hf: HeightField, maxError: number, maxTriangles = Infinity): TopSurface {
  const { cols, rows, z, inside, field, peak } = hf;
  const n = cols * rows;
  // float32 like z itself: half the memory the searches stream through.
  const heights = new Float32Array(n);
  for (let i = 0; i < n; i++) heights[i] = inside[i] ? z[i]! : -FORCE;
  heights[peak] = z[peak]! + FORCE;
  const tin = refineTin(heights, cols, rows, maxError, -FORCE, maxTriangles);
  const { coords, triangles: tinTriangles } = tin;
  const tinVertices = coords.length / 2;

  const vertices = new Vertices();
  const triangles = new TriangleList();
  // TIN vertex -> surface vertex (each TIN vertex is a distinct sample), and TIN edge -> crossing.
  const vertexOf = new Int32Array(tinVertices).fill(-1);
  const crossings = new Map<number, number>();
  const sampleOf = (v: number) => coords[2 * v + 1]! * cols + coords[2 * v]!;
  const sample = (v: number) => {
    let index = vertexOf[v]!;
    if (index < 0) {
      const x = coords[2 * v]!;
      const y = coords[2 * v + 1]!;
      index = vertexOf[v] = vertices.add(x, y, z[y * cols + x]!, x === 0 || y === 0 || x === cols - 1 || y === rows - 1);
    }
    return index;
  };
  // The outline's crossing of the TIN edge from an inside vertex to an outside one.
  const crossing = (vi: number, vo: number) => {
    const key = Math.min(vi, vo) * tinVertices + Math.max(vi, vo);
    const found = crossings.get(key);
    if (found !== undefined) return found;
    const si = sampleOf(vi);
    const fi = field[si]!;
    const fo = field[sampleOf(vo)]!;
    const t = Math.min(1 - CROSSING_MARGIN, Math.max(CROSSING_MARGIN, fi / (fi - fo)));
    const xi = coords[2 * vi]!;
    const yi = coords[2 * vi + 1]!;
    const index = vertices.add(xi + (coords[2 * vo]! - xi) * t, yi + (coords[2 * vo + 1]! - yi) * t, z[si]!, true);
    crossings.set(key, index);
    return index;
  };

  for (let t = 0; t < tinTriangles.length; t += 3) {
    let a = tinTriangles[t]!;
    let b = tinTriangles[t + 1]!;
    let c = tinTriangles[t + 2]!;
    const ia = inside[sampleOf(a)]!;
    const ib = inside[sampleOf(b)]!;
    const ic = inside[sampleOf(c)]!;
    const count = ia + ib + ic;
    if (count === 0) continue;
    if (count === 3) {
      triangles.add(vertices, sample(a), sample(b), sample(c), true);
      continue;
    }
    // Rotate so that a is the odd one out: the only inside corner (count 1) or the only outside one.
    const odd = count === 1 ? 1 : 0;
    if (ib === odd) [a, b, c] = [b, c, a];
    else if (ic === odd) [a, b, c] = [c, a, b];
    if (count === 1) {
      triangles.add(vertices, sample(a), crossing(a, b), crossing(a, c), true);
    } else {
      const ab = crossing(b, a);
      const ac = crossing(c, a);
      triangles.add(vertices, sample(b), sample(c), ac, true);
      triangles.add(vertices, sample(b), ac, ab, true);
    }
  }
  return { vertices, triangles, error: tin.error };
}
