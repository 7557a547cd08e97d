// The adaptive top surface: a greedy Delaunay refinement of the height grid. It starts from the
// grid's two corner triangles and, while some triangle misses the heights by more than maxError,
// inserts the sample that one misses by most (the Garland-Heckbert greedy insertion that delatin
// and hmm implement), keeping the triangulation Delaunay by edge flips.
//
// Written here rather than taken from delatin because each new triangle's worst sample is found
// by a PlanePyramid search, which skips blocks of samples that cannot hold it, instead of a scan
// of every sample under the triangle (delatin offers no way to plug a search in). A differential
// test holds it to stock delatin's result (test/relief/tin.unit.test.ts).
//
// Layout: triangle t owns half-edges 3t, 3t+1, 3t+2; half-edge e runs from vertex triangles[e]
// to triangles[next(e)], and twins[e] is the opposite half-edge, or -1 on the grid's border.
// Corners are positively oriented (orient > 0). Coordinates are integer sample positions, so the
// predicates below are exact in doubles for grids up to 4096 samples a side.
import { PlanePyramid, TriangleQuery, type WorstSample } from './plane-pyramid.js';

export interface Tin {
  /** x, y per vertex, in sample units. */
  coords: number[];
  /** Three vertex indices per triangle. */
  triangles: number[];
  /** Largest vertical distance between the TIN and the heights over all samples: at most maxError. */
  error: number;
}

/** A triangle's recorded error is exact. */
const EXACT = 0;
/** ... or only known to be at most maxError, which is all the refinement needs. */
const WITHIN = 1;

const next = (e: number) => (e % 3 === 2 ? e - 2 : e + 1);
const prev = (e: number) => (e % 3 === 0 ? e + 2 : e - 1);

/** Twice the signed area of a, b, c: > 0 when they turn left (x right, y up). */
function orient(ax: number, ay: number, bx: number, by: number, cx: number, cy: number): number {
  return (bx - ax) * (cy - ay) - (by - ay) * (cx - ax);
}

/** Whether d lies strictly inside the circle through a, b, c (positively oriented). */
function inCircle(ax: number, ay: number, bx: number, by: number, cx: number, cy: number, dx: number, dy: number): boolean {
  const adx = ax - dx;
  const ady = ay - dy;
  const bdx = bx - dx;
  const bdy = by - dy;
  const cdx = cx - dx;
  const cdy = cy - dy;
  const det =
    (adx * adx + ady * ady) * (bdx * cdy - cdx * bdy) +
    (bdx * bdx + bdy * bdy) * (cdx * ady - adx * cdy) +
    (cdx * cdx + cdy * cdy) * (adx * bdy - bdx * ady);
  return det > 0;
}

/** A max-heap of triangles by their recorded error, which can drop any triangle. */
class TriangleHeap {
  private readonly items: number[] = [];
  /** Per triangle: its place in `items`, or -1. */
  private readonly place: number[] = [];

  constructor(private readonly errorOf: (t: number) => number) {}

  get size(): number {
    return this.items.length;
  }

  top(): number {
    return this.items[0]!;
  }

  push(t: number): void {
    this.items.push(t);
    this.place[t] = this.items.length - 1;
    this.up(this.items.length - 1);
  }

  remove(t: number): void {
    const i = this.place[t] ?? -1;
    if (i < 0) return;
    this.place[t] = -1;
    const last = this.items.pop()!;
    if (i === this.items.length) return;
    this.items[i] = last;
    this.place[last] = i;
    this.up(i);
    this.down(this.place[last]!);
  }

  private higher(i: number, j: number): boolean {
    return this.errorOf(this.items[i]!) > this.errorOf(this.items[j]!);
  }

  private swap(i: number, j: number): void {
    const a = this.items[i]!;
    const b = this.items[j]!;
    this.items[i] = b;
    this.items[j] = a;
    this.place[b] = i;
    this.place[a] = j;
  }

  private up(i: number): void {
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.higher(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private down(i: number): void {
    for (;;) {
      const left = 2 * i + 1;
      if (left >= this.items.length) break;
      let child = left;
      if (left + 1 < this.items.length && this.higher(left + 1, left)) child = left + 1;
      if (!this.higher(child, i)) break;
      this.swap(child, i);
      i = child;
    }
  }
}

class GreedyTin {
  readonly coords: number[] = [];
  readonly triangles: number[] = [];
  private readonly twins: number[] = [];
  /** Per triangle: its worst sample and that sample's error, and whether the error is EXACT. */
  private readonly worstX: number[] = [];
  private readonly worstY: number[] = [];
  readonly error: number[] = [];
  readonly state: number[] = [];
  private readonly queue = new TriangleHeap((t) => this.error[t]!);
  /** Triangles changed by the current insertion, to search again once it is done. */
  private touched: number[] = [];
  private readonly touchedMark: number[] = [];
  private insertion = 0;
  private readonly query = new TriangleQuery();
  private readonly found: WorstSample = { error: 0, x: 0, y: 0, exact: true };

  constructor(
    cols: number,
    rows: number,
    private readonly pyramid: PlanePyramid,
    private readonly maxError: number,
  ) {
    const x1 = cols - 1;
    const y1 = rows - 1;
    this.coords.push(0, 0, x1, 0, x1, y1, 0, y1);
    const a = this.addTriangle(0, 1, 2);
    const b = this.addTriangle(0, 2, 3);
    this.link(3 * a + 2, 3 * b);
    this.searchTouched();
  }

  get triangleCount(): number {
    return this.triangles.length / 3;
  }

  /** The largest error a triangle still queued for splitting has, or 0. */
  get worstQueued(): number {
    return this.queue.size ? this.error[this.queue.top()]! : 0;
  }

  /** Inserts the worst sample of the worst queued triangle. */
  refine(): void {
    const t = this.queue.top();
    this.insertion++;
    const px = this.worstX[t]!;
    const py = this.worstY[t]!;
    const p = this.coords.length / 2;
    this.coords.push(px, py);
    for (let e = 3 * t; e < 3 * t + 3; e++) {
      const a = 2 * this.triangles[e]!;
      const b = 2 * this.triangles[next(e)]!;
      const { coords } = this;
      if (orient(coords[a]!, coords[a + 1]!, coords[b]!, coords[b + 1]!, px, py) === 0) {
        this.splitEdge(e, p);
        this.searchTouched();
        return;
      }
    }
    this.splitTriangle(t, p);
    this.searchTouched();
  }

  /** The exact error of triangle t when it is only known WITHIN maxError, searched above `floor`. */
  exactError(t: number, floor: number): number {
    return this.search(t, floor).error;
  }

  private addTriangle(a: number, b: number, c: number): number {
    const t = this.triangles.length / 3;
    this.triangles.push(a, b, c);
    this.twins.push(-1, -1, -1);
    this.worstX.push(0);
    this.worstY.push(0);
    this.error.push(0);
    this.state.push(EXACT);
    this.touchedMark.push(0);
    this.touch(t);
    return t;
  }

  private link(e: number, f: number): void {
    this.twins[e] = f;
    if (f >= 0) this.twins[f] = e;
  }

  private touch(t: number): void {
    if (this.touchedMark[t] === this.insertion + 1) return;
    this.touchedMark[t] = this.insertion + 1;
    this.touched.push(t);
  }

  /** p strictly inside triangle t = (a, b, c): t becomes (a, b, p), plus (b, c, p) and (c, a, p). */
  private splitTriangle(t: number, p: number): void {
    const e = 3 * t;
    const [a, b, c] = [this.triangles[e]!, this.triangles[e + 1]!, this.triangles[e + 2]!];
    const twinBC = this.twins[e + 1]!;
    const twinCA = this.twins[e + 2]!;
    this.triangles[e + 2] = p;
    this.touch(t);
    const t1 = this.addTriangle(b, c, p);
    const t2 = this.addTriangle(c, a, p);
    this.link(3 * t1, twinBC);
    this.link(3 * t2, twinCA);
    this.link(e + 1, 3 * t1 + 2); // b-p
    this.link(e + 2, 3 * t2 + 1); // p-a
    this.link(3 * t1 + 1, 3 * t2 + 2); // c-p
    this.legalize(e);
    this.legalize(3 * t1);
    this.legalize(3 * t2);
  }

  /**
   * p on half-edge h = (x -> y) of triangle (x, y, z): that triangle becomes (p, y, z), and
   * (x, p, z) is added and returned; its side x -> p is left for the caller to link.
   */
  private splitSide(h: number, p: number): number {
    const { triangles } = this;
    const h2 = prev(h);
    const x = triangles[h]!;
    const twinZX = this.twins[h2]!;
    triangles[h] = p;
    this.touch(Math.floor(h / 3));
    const added = this.addTriangle(x, p, triangles[h2]!);
    this.link(3 * added + 2, twinZX);
    this.link(3 * added + 1, h2); // p-z
    return added;
  }

  /**
   * p on half-edge e = (a -> b) of triangle (a, b, c): that triangle becomes (p, b, c) plus
   * (a, p, c), and the one across, (b, a, d), becomes (p, a, d) plus (b, p, d).
   */
  private splitEdge(e: number, p: number): void {
    // Every half is split and linked before any edge is flipped: a flip rewrites the slots.
    const twin = this.twins[e]!;
    const t1 = this.splitSide(e, p);
    const u1 = twin < 0 ? -1 : this.splitSide(twin, p);
    if (twin >= 0) {
      this.link(e, 3 * u1); // p-b
      this.link(twin, 3 * t1); // p-a
    }
    this.legalize(next(e));
    this.legalize(3 * t1 + 2);
    if (twin >= 0) {
      this.legalize(next(twin));
      this.legalize(3 * u1 + 2);
    }
  }

  /**
   * Half-edge e = (a -> b) lies opposite the new vertex c of its triangle (a, b, c); when the
   * vertex d across it is inside their circle, the edge is flipped to c-d and the two edges
   * across from c are checked in turn.
   */
  private legalize(e: number): void {
    const twin = this.twins[e]!;
    if (twin < 0) return;
    const { triangles, coords } = this;
    const e1 = next(e);
    const e2 = prev(e);
    const f1 = next(twin);
    const f2 = prev(twin);
    const a = triangles[e]!;
    const b = triangles[e1]!;
    const c = triangles[e2]!;
    const d = triangles[f2]!;
    if (
      !inCircle(
        coords[2 * a]!,
        coords[2 * a + 1]!,
        coords[2 * b]!,
        coords[2 * b + 1]!,
        coords[2 * c]!,
        coords[2 * c + 1]!,
        coords[2 * d]!,
        coords[2 * d + 1]!,
      )
    )
      return;
    const twinBC = this.twins[e1]!;
    const twinCA = this.twins[e2]!;
    const twinAD = this.twins[f1]!;
    const twinDB = this.twins[f2]!;
    // (a, b, c) becomes (d, c, a) and (b, a, d) becomes (c, d, b), in the same half-edge slots.
    triangles[e] = d;
    triangles[e1] = c;
    triangles[e2] = a;
    triangles[twin] = c;
    triangles[f1] = d;
    triangles[f2] = b;
    this.link(e, twin); // d-c
    this.link(e1, twinCA); // c-a
    this.link(e2, twinAD); // a-d
    this.link(f1, twinDB); // d-b
    this.link(f2, twinBC); // b-c
    this.touch(Math.floor(e / 3));
    this.touch(Math.floor(twin / 3));
    this.legalize(e2);
    this.legalize(f1);
  }

  /** Searches every triangle the last change touched and queues those beyond maxError. */
  private searchTouched(): void {
    for (const t of this.touched) {
      this.queue.remove(t);
      // Triangles within maxError are never split: their search may stop once that is certain.
      const found = this.search(t, this.maxError);
      this.worstX[t] = found.x;
      this.worstY[t] = found.y;
      if (found.error > this.maxError) this.queue.push(t);
    }
    this.touched = [];
  }

  private search(t: number, floor: number): WorstSample {
    const { found, coords, triangles } = this;
    const a = 2 * triangles[3 * t]!;
    const b = 2 * triangles[3 * t + 1]!;
    const c = 2 * triangles[3 * t + 2]!;
    found.error = 0;
    found.x = coords[a]!;
    found.y = coords[a + 1]!;
    found.exact = true;
    if (this.query.set(this.pyramid, coords[a]!, coords[a + 1]!, coords[b]!, coords[b + 1]!, coords[c]!, coords[c + 1]!)) {
      this.pyramid.worst(this.query, floor, found);
    }
    this.state[t] = found.exact ? EXACT : WITHIN;
    this.error[t] = found.error;
    return found;
  }
}

/**
 * The TIN of `heights` (cols x rows, row-major) within maxError, and its exact error. `outside`:
 * the height, if any, that marks samples outside the region (they are searched apart).
 * `maxTriangles` stops the refinement early: the error is then what it reached.
 */
export function refineTin(
  heights: Float32Array,
  cols: number,
  rows: number,
  maxError: number,
  outside = Number.NaN,
  maxTriangles = Infinity,
): Tin {
  const tin = new GreedyTin(cols, rows, new PlanePyramid(heights, cols, rows, outside), maxError);
  while (tin.worstQueued > maxError && tin.triangleCount < maxTriangles) tin.refine();

  // The largest exact error, then the triangles known only to be within maxError: each searched
  // only for what beats the largest error so far.
  let error = 0;
  const count = tin.triangleCount;
  for (let t = 0; t < count; t++) if (tin.state[t] === EXACT) error = Math.max(error, tin.error[t]!);
  for (let t = 0; t < count; t++) if (tin.state[t] === WITHIN) error = Math.max(error, tin.exactError(t, error));
  return { coords: tin.coords, triangles: tin.triangles, error };
}
