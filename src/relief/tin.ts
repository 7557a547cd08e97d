// The adaptive top surface: delatin's greedy Delaunay refinement (each step splits the triangle
// that misses the heights by most at its worst sample, until every sample is within maxError),
// with its search for a new triangle's worst sample done by a PlanePyramid, which skips blocks of
// samples that cannot hold it, instead of a scan of every sample under the triangle. The same
// triangles are split in the same order (ties aside); what changes is the cost of large ones.
import Delatin from 'delatin';
import { PlanePyramid, TriangleQuery, type WorstSample } from './plane-pyramid.js';

export interface Tin {
  /** x, y per vertex, in sample units. */
  coords: number[];
  /** Three vertex indices per triangle. */
  triangles: number[];
  /** Largest vertical distance between the TIN and the heights over all samples: at most maxError. */
  error: number;
}

/** A triangle's queued error is exact. */
const EXACT = 0;
/** ... or only known to be at most maxError, which is all the refinement needs. */
const WITHIN = 1;

/** What a PyramidDelatin searches with; one per refinement. */
class Search {
  readonly query = new TriangleQuery();
  readonly found: WorstSample = { error: 0, x: 0, y: 0, exact: true };
  /** EXACT or WITHIN per triangle, and the error when EXACT. */
  state = new Uint8Array(1024);
  error = new Float64Array(1024);

  constructor(
    readonly pyramid: PlanePyramid,
    readonly maxError: number,
  ) {}

  /** Sets the query to the triangle; false when it has no area. */
  private set(t: number, p0x: number, p0y: number, p1x: number, p1y: number, p2x: number, p2y: number): boolean {
    if (t >= this.state.length) {
      const capacity = Math.max(2 * this.state.length, t + 1);
      const state = new Uint8Array(capacity);
      state.set(this.state);
      this.state = state;
      const error = new Float64Array(capacity);
      error.set(this.error);
      this.error = error;
    }
    return this.query.set(this.pyramid, p0x, p0y, p1x, p1y, p2x, p2y);
  }

  /** The worst sample of triangle t, searched no further than beating `floor` needs. */
  worst(t: number, p0x: number, p0y: number, p1x: number, p1y: number, p2x: number, p2y: number, floor: number): WorstSample {
    const { found } = this;
    found.error = 0;
    found.x = p0x;
    found.y = p0y;
    found.exact = true;
    if (this.set(t, p0x, p0y, p1x, p1y, p2x, p2y)) this.pyramid.worst(this.query, floor, found);
    this.state[t] = found.exact ? EXACT : WITHIN;
    this.error[t] = found.error;
    return found;
  }
}

/** The search of the PyramidDelatin being constructed: its constructor searches before ours runs. */
let constructing: Search | undefined;

class PyramidDelatin extends Delatin {
  readonly search: Search;

  constructor(heights: Float32Array, cols: number, rows: number, search: Search) {
    constructing = search;
    try {
      super(heights, cols, rows);
    } finally {
      constructing = undefined;
    }
    this.search = search;
  }

  protected override _findCandidate(p0x: number, p0y: number, p1x: number, p1y: number, p2x: number, p2y: number, t: number): void {
    const search = this.search ?? constructing!;
    // Triangles within maxError are never split: their search may stop once that is certain.
    const found = search.worst(t, p0x, p0y, p1x, p1y, p2x, p2y, search.maxError);
    this._candidates[2 * t] = found.x;
    this._candidates[2 * t + 1] = found.y;
    this._queuePush(t, found.error);
  }
}

/**
 * The TIN of `heights` (cols x rows, row-major) within maxError, and its exact error. `outside`:
 * the height, if any, that marks samples outside the region (they are searched apart).
 */
export function refineTin(heights: Float32Array, cols: number, rows: number, maxError: number, outside = Number.NaN, maxTriangles = Infinity): Tin {
  const search = new Search(new PlanePyramid(heights, cols, rows, outside), maxError);
  const tin = new PyramidDelatin(heights, cols, rows, search);
  // Delatin's run(maxError), stopped at the triangle budget: the error is then what it reached.
  while (tin.getMaxError() > maxError && tin.triangles.length / 3 < maxTriangles) tin.refine();
  const { coords, triangles } = tin;

  // The largest exact error, then the triangles known only to be within maxError: each searched
  // only for what beats the largest error so far.
  let error = 0;
  for (let t = 0; 3 * t < triangles.length; t++) if (search.state[t] === EXACT) error = Math.max(error, search.error[t]!);
  for (let t = 0; 3 * t < triangles.length; t++) {
    if (search.state[t] === EXACT) continue;
    const a = 2 * triangles[3 * t]!;
    const b = 2 * triangles[3 * t + 1]!;
    const c = 2 * triangles[3 * t + 2]!;
    error = Math.max(error, search.worst(t, coords[a]!, coords[a + 1]!, coords[b]!, coords[b + 1]!, coords[c]!, coords[c + 1]!, error).error);
  }
  return { coords, triangles, error };
}
