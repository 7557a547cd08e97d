// Where is a triangle of a TIN furthest from the heights under it? Scanning every sample under
// every new triangle is what made stock delatin slow on large grids: early triangles cover hundreds of
// thousands of samples and are replaced, and scanned again, many times over.
//
// The pyramid bounds the answer block by block instead. Each block of samples (LEAF x LEAF at the
// bottom, doubling upwards) carries a plane Q and r, the most any sample in the block deviates from
// Q. A triangle's plane P then differs from a sample h in the block by at most
// max |P - Q| over the block's corners + r (P - Q is linear, so its extremes are at the corners).
// A depth-first search visits blocks by that bound and skips every block whose bound cannot beat
// the worst sample found so far, so it finds the exact worst sample while touching few blocks
// where the triangle fits the heights well, and scans samples only where it might not.
//
// Samples outside the region of a cut-out all hold one value, far below the rest (top.ts). A block
// on the outline would get a useless r from one plane through both kinds, so Q and r describe the
// inside samples only, and a flag says whether the block also has outside ones: those differ from
// P by exactly |P - outside|, again largest at a corner.

/** Samples per side of the smallest blocks. */
const LEAF = 4;
/** Samples per side of a tile of the heights' copy: 32 x 32 float32 is one 4 KiB page. */
const TILE_BITS = 5;
const TILE = 1 << TILE_BITS;
/**
 * Triangles whose bounding box holds at most this many samples are scanned whole. Streaming a
 * small triangle's rows is cheaper than weighing its blocks; a search pays off on large ones.
 */
const DIRECT = 4096;
/** Bounds are widened by this much (mm) so rounding can never make one too tight. */
const SLACK = 1e-9;
/** What samples a block holds: inside ones (bounded by its plane and r), outside ones, or both. */
const HAS_INSIDE = 1;
const HAS_OUTSIDE = 2;

/** A triangle with integer (sample) corners, as the search takes it; fill with `set`. */
export class TriangleQuery {
  // Edge functions A x + B y + C, each >= 0 inside (edges included, as delatin counts them).
  readonly a = new Float64Array(3);
  readonly b = new Float64Array(3);
  readonly c = new Float64Array(3);
  // The triangle's plane through its corners' heights: z = pc + px x + py y.
  pc = 0;
  px = 0;
  py = 0;
  minX = 0;
  minY = 0;
  maxX = 0;
  maxY = 0;
  readonly corners = new Int32Array(6);

  /** Returns false for a triangle of zero area (nothing to search). */
  set(pyramid: PlanePyramid, x0: number, y0: number, x1: number, y1: number, x2: number, y2: number): boolean {
    let area = (x1 - x0) * (y2 - y0) - (y1 - y0) * (x2 - x0);
    if (area === 0) return false;
    if (area < 0) {
      // Clockwise in grid coordinates: swap two corners so every edge function is >= 0 inside.
      const sx = x1;
      const sy = y1;
      x1 = x2;
      y1 = y2;
      x2 = sx;
      y2 = sy;
      area = -area;
    }
    const xs = this.corners;
    xs[0] = x0;
    xs[1] = y0;
    xs[2] = x1;
    xs[3] = y1;
    xs[4] = x2;
    xs[5] = y2;
    for (let e = 0; e < 3; e++) {
      const ax = xs[2 * e]!;
      const ay = xs[2 * e + 1]!;
      const bx = xs[(2 * e + 2) % 6]!;
      const by = xs[(2 * e + 3) % 6]!;
      // (b - a) x (p - a) >= 0: p on the left of a -> b, the inside of a counter-clockwise triangle.
      this.a[e] = -(by - ay);
      this.b[e] = bx - ax;
      this.c[e] = (by - ay) * ax - (bx - ax) * ay;
    }
    const h0 = pyramid.at(x0, y0);
    const h1 = pyramid.at(x1, y1);
    const h2 = pyramid.at(x2, y2);
    this.px = ((h1 - h0) * (y2 - y0) - (h2 - h0) * (y1 - y0)) / area;
    this.py = ((h2 - h0) * (x1 - x0) - (h1 - h0) * (x2 - x0)) / area;
    this.pc = h0 - this.px * x0 - this.py * y0;
    this.minX = Math.min(x0, x1, x2);
    this.minY = Math.min(y0, y1, y2);
    this.maxX = Math.max(x0, x1, x2);
    this.maxY = Math.max(y0, y1, y2);
    return true;
  }

  /** Whether (x, y) is one of the corners. */
  isCorner(x: number, y: number): boolean {
    const xs = this.corners;
    return (x === xs[0] && y === xs[1]) || (x === xs[2] && y === xs[3]) || (x === xs[4] && y === xs[5]);
  }
}

/** The worst sample of a search: its error (mm) and grid position. */
export interface WorstSample {
  error: number;
  x: number;
  y: number;
  /** false when the search stopped at its floor: the true error is then between `error` and the floor. */
  exact: boolean;
}

export class PlanePyramid {
  /** Per level (0: LEAF-sized blocks): blocks across and down. */
  private readonly across: number[] = [];
  private readonly down: number[] = [];
  /**
   * Per level, per block, Q = q0 + qx x + qy y and r, side by side (4 values a block: one cache
   * line, which the search touches for every block it weighs).
   */
  private readonly blocks: Float64Array[] = [];
  /** Per level, per block: HAS_INSIDE and/or HAS_OUTSIDE. */
  private readonly kinds: Uint8Array[] = [];
  // Search stack: level, block x, block y, bound.
  private stackLevel = new Int32Array(256);
  private stackX = new Int32Array(256);
  private stackY = new Int32Array(256);
  private stackBound = new Float64Array(256);

  /**
   * The heights again, in TILE x TILE tiles, each one 4 KiB page: the searches read a few samples
   * from each of many rows, and in row order every row is another page (and, in a virtual
   * machine, a costly TLB miss). Tiled, a small triangle's rows share one or two pages.
   */
  private readonly tiles: Float32Array;
  private readonly tilesAcross: number;

  /**
   * `outside`: the height that marks samples outside the region (NaN when there are none); such
   * samples are bounded apart from the others.
   */
  constructor(
    heights: Float32Array,
    readonly cols: number,
    readonly rows: number,
    private readonly outside = Number.NaN,
  ) {
    this.tilesAcross = Math.ceil(cols / TILE);
    this.tiles = new Float32Array(this.tilesAcross * Math.ceil(rows / TILE) * TILE * TILE);
    for (let y = 0; y < rows; y++) {
      for (let x = 0; x < cols; x += TILE)
        this.tiles.set(heights.subarray(y * cols + x, y * cols + Math.min(cols, x + TILE)), this.index(x, y));
    }
    this.buildLeaves(heights);
    while (this.across[this.across.length - 1]! > 1 || this.down[this.down.length - 1]! > 1) this.buildParents();
  }

  /** Where sample (x, y) is in `tiles`. */
  private index(x: number, y: number): number {
    return (
      (((y >> TILE_BITS) * this.tilesAcross + (x >> TILE_BITS)) << (2 * TILE_BITS)) | ((y & (TILE - 1)) << TILE_BITS) | (x & (TILE - 1))
    );
  }

  /** The height of sample (x, y). */
  at(x: number, y: number): number {
    return this.tiles[this.index(x, y)]!;
  }

  /**
   * Least-squares plane of each LEAF x LEAF block and its largest residual; on the outline, the
   * mean of the inside samples and their largest deviation from it.
   */
  private buildLeaves(heights: Float32Array): void {
    const { cols, rows, outside } = this;
    const across = Math.ceil(cols / LEAF);
    const down = Math.ceil(rows / LEAF);
    const blocks = new Float64Array(4 * across * down);
    const kinds = new Uint8Array(across * down);
    for (let by = 0; by < down; by++) {
      const y0 = by * LEAF;
      const y1 = Math.min(rows, y0 + LEAF);
      for (let bx = 0; bx < across; bx++) {
        const x0 = bx * LEAF;
        const x1 = Math.min(cols, x0 + LEAF);
        // On a full rectangle of samples the centred x and y are uncorrelated, so the normal
        // equations decouple: slope = sum(d h) / sum(d^2) along each axis.
        const mx = (x0 + x1 - 1) / 2;
        const my = (y0 + y1 - 1) / 2;
        let sum = 0;
        let sumX = 0;
        let sumY = 0;
        let outsiders = 0;
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) {
            const h = heights[y * cols + x]!;
            if (h === outside) {
              outsiders++;
              continue;
            }
            sum += h;
            sumX += (x - mx) * h;
            sumY += (y - my) * h;
          }
        }
        const w = x1 - x0;
        const h = y1 - y0;
        const n = w * h - outsiders;
        let slopeX = 0;
        let slopeY = 0;
        let c = n > 0 ? sum / n : 0;
        if (outsiders === 0) {
          slopeX = w > 1 ? sumX / ((h * w * (w * w - 1)) / 12) : 0;
          slopeY = h > 1 ? sumY / ((w * h * (h * h - 1)) / 12) : 0;
          c -= slopeX * mx + slopeY * my;
        }
        let worst = 0;
        for (let y = y0; y < y1; y++) {
          for (let x = x0; x < x1; x++) {
            const value = heights[y * cols + x]!;
            if (value !== outside) worst = Math.max(worst, Math.abs(value - c - slopeX * x - slopeY * y));
          }
        }
        const b = by * across + bx;
        blocks[4 * b] = c;
        blocks[4 * b + 1] = slopeX;
        blocks[4 * b + 2] = slopeY;
        blocks[4 * b + 3] = worst + SLACK;
        kinds[b] = (n > 0 ? HAS_INSIDE : 0) | (outsiders > 0 ? HAS_OUTSIDE : 0);
      }
    }
    this.push(across, down, blocks, kinds);
  }

  /**
   * Each block of the next level covers 2 x 2 blocks of the last. Its plane is the mean of theirs
   * (any plane gives a valid bound; this one is close to all four), its r the largest child r plus
   * how far the child's plane strays from it over the child's block.
   */
  private buildParents(): void {
    const level = this.across.length - 1;
    const childAcross = this.across[level]!;
    const childDown = this.down[level]!;
    const children = this.blocks[level]!;
    const childKinds = this.kinds[level]!;
    const across = Math.ceil(childAcross / 2);
    const down = Math.ceil(childDown / 2);
    const blocks = new Float64Array(4 * across * down);
    const kinds = new Uint8Array(across * down);
    const size = LEAF << level;
    for (let by = 0; by < down; by++) {
      for (let bx = 0; bx < across; bx++) {
        let count = 0;
        let s0 = 0;
        let sx = 0;
        let sy = 0;
        let kind = 0;
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) {
            const cx = 2 * bx + dx;
            const cy = 2 * by + dy;
            if (cx >= childAcross || cy >= childDown) continue;
            kind |= childKinds[cy * childAcross + cx]!;
            if (!(childKinds[cy * childAcross + cx]! & HAS_INSIDE)) continue;
            const c = 4 * (cy * childAcross + cx);
            count++;
            s0 += children[c]!;
            sx += children[c + 1]!;
            sy += children[c + 2]!;
          }
        }
        const p0 = count > 0 ? s0 / count : 0;
        const px = count > 0 ? sx / count : 0;
        const py = count > 0 ? sy / count : 0;
        let worst = 0;
        for (let dy = 0; dy < 2; dy++) {
          for (let dx = 0; dx < 2; dx++) {
            const cx = 2 * bx + dx;
            const cy = 2 * by + dy;
            if (cx >= childAcross || cy >= childDown || !(childKinds[cy * childAcross + cx]! & HAS_INSIDE)) continue;
            const c = 4 * (cy * childAcross + cx);
            const x0 = cx * size;
            const y0 = cy * size;
            const x1 = Math.min(this.cols, x0 + size) - 1;
            const y1 = Math.min(this.rows, y0 + size) - 1;
            worst = Math.max(
              worst,
              children[c + 3]! + spread(p0 - children[c]!, px - children[c + 1]!, py - children[c + 2]!, x0, y0, x1, y1),
            );
          }
        }
        const i = 4 * (by * across + bx);
        blocks[i] = p0;
        blocks[i + 1] = px;
        blocks[i + 2] = py;
        blocks[i + 3] = worst + SLACK;
        kinds[by * across + bx] = kind;
      }
    }
    this.push(across, down, blocks, kinds);
  }

  private push(across: number, down: number, blocks: Float64Array, kinds: Uint8Array): void {
    this.across.push(across);
    this.down.push(down);
    this.blocks.push(blocks);
    this.kinds.push(kinds);
  }

  /**
   * The sample under the triangle (edges included) furthest from its plane, when that distance
   * exceeds `floor`; otherwise `out.error` is `floor` or less (`out.exact` says whether it is the
   * true largest error), and the position is meaningless.
   * Blocks that cannot hold a sample worse than max(floor, worst so far) are never scanned.
   */
  worst(t: TriangleQuery, floor: number, out: WorstSample): WorstSample {
    out.error = 0;
    out.x = t.corners[0]!;
    out.y = t.corners[1]!;
    const area = (t.maxX - t.minX + 1) * (t.maxY - t.minY + 1);
    if (area <= DIRECT) {
      this.scan(t, t.minX, t.minY, t.maxX, t.maxY, out);
      out.exact = true;
    } else {
      this.search(t, floor, out);
      out.exact = out.error > floor;
    }
    if (t.isCorner(out.x, out.y)) out.error = 0; // a corner is exact: nothing to refine (as delatin)
    return out;
  }

  /** Pushes the blocks of the level whose blocks are as large as the triangle that it overlaps. */
  private pushCover(t: TriangleQuery): number {
    const extent = Math.max(t.maxX - t.minX, t.maxY - t.minY) + 1;
    let level = 0;
    while (LEAF << level < extent && level < this.across.length - 1) level++;
    const size = LEAF << level;
    let top = 0;
    for (let by = Math.floor(t.minY / size); by <= Math.floor(t.maxY / size); by++) {
      for (let bx = Math.floor(t.minX / size); bx <= Math.floor(t.maxX / size); bx++) top = this.pushBlock(t, level, bx, by, top);
    }
    return top;
  }

  /** The samples of one leaf block inside the triangle: edge functions stepped along, no division. */
  private scanBlock(t: TriangleQuery, x0: number, y0: number, out: WorstSample): void {
    const { tiles, cols } = this;
    const { a, b, c, pc, px, py } = t;
    const a0 = a[0]!,
      a1 = a[1]!,
      a2 = a[2]!;
    const x1 = Math.min(cols, x0 + LEAF);
    const y1 = Math.min(this.rows, y0 + LEAF);
    let worst = out.error;
    for (let y = y0; y < y1; y++) {
      let w0 = a0 * x0 + b[0]! * y + c[0]!;
      let w1 = a1 * x0 + b[1]! * y + c[1]!;
      let w2 = a2 * x0 + b[2]! * y + c[2]!;
      // A block lies within one tile: its row is contiguous there.
      const row = this.index(x0, y) - x0;
      let z = pc + py * y + px * x0;
      for (let x = x0; x < x1; x++) {
        if (w0 >= 0 && w1 >= 0 && w2 >= 0) {
          const error = Math.abs(z - tiles[row + x]!);
          if (error > worst) {
            worst = error;
            out.x = x;
            out.y = y;
          }
        }
        w0 += a0;
        w1 += a1;
        w2 += a2;
        z += px;
      }
    }
    out.error = worst;
  }

  /** The depth-first search through the blocks under the triangle, best bound first. */
  private search(t: TriangleQuery, floor: number, out: WorstSample): void {
    let top = this.pushCover(t);
    while (top > 0) {
      top--;
      const bound = this.stackBound[top]!;
      if (bound <= floor || bound <= out.error) continue;
      const lv = this.stackLevel[top]!;
      const bx = this.stackX[top]!;
      const by = this.stackY[top]!;
      if (lv === 0) {
        this.scanBlock(t, bx * LEAF, by * LEAF, out);
        continue;
      }
      // Children, the most promising pushed last so it is searched first.
      const first = top;
      const across = this.across[lv - 1]!;
      const down = this.down[lv - 1]!;
      for (let dy = 0; dy < 2; dy++) {
        for (let dx = 0; dx < 2; dx++) {
          const cx = 2 * bx + dx;
          const cy = 2 * by + dy;
          if (cx < across && cy < down) top = this.pushBlock(t, lv - 1, cx, cy, top);
        }
      }
      for (let i = first + 1; i < top; i++) {
        // Insertion sort of at most four entries by bound, ascending.
        for (let j = i; j > first && this.stackBound[j - 1]! > this.stackBound[j]!; j--) this.swap(j - 1, j);
      }
    }
  }

  /** Pushes the block when it overlaps the triangle, with its bound; returns the new stack top. */
  private pushBlock(t: TriangleQuery, level: number, bx: number, by: number, top: number): number {
    const size = LEAF << level;
    const x0 = bx * size;
    const y0 = by * size;
    const x1 = Math.min(this.cols, x0 + size) - 1;
    const y1 = Math.min(this.rows, y0 + size) - 1;
    if (x0 > t.maxX || y0 > t.maxY || x1 < t.minX || y1 < t.minY) return top;
    for (let e = 0; e < 3; e++) {
      const a = t.a[e]!;
      const b = t.b[e]!;
      // The block lies wholly outside this edge when even its best corner is outside.
      if (a * (a > 0 ? x1 : x0) + b * (b > 0 ? y1 : y0) + t.c[e]! < 0) return top;
    }
    const b = by * this.across[level]! + bx;
    const kind = this.kinds[level]![b]!;
    const blocks = this.blocks[level]!;
    const i = 4 * b;
    let bound =
      kind & HAS_INSIDE ? blocks[i + 3]! + spread(t.pc - blocks[i]!, t.px - blocks[i + 1]!, t.py - blocks[i + 2]!, x0, y0, x1, y1) : 0;
    if (kind & HAS_OUTSIDE) bound = Math.max(bound, spread(t.pc - this.outside, t.px, t.py, x0, y0, x1, y1) + SLACK);
    if (top === this.stackLevel.length) this.grow();
    this.stackLevel[top] = level;
    this.stackX[top] = bx;
    this.stackY[top] = by;
    this.stackBound[top] = bound;
    return top + 1;
  }

  /** Every sample of the rectangle [x0, x1] x [y0, y1] inside the triangle, row by row over the span its edges allow. */
  private scan(t: TriangleQuery, x0: number, y0: number, x1: number, y1: number, out: WorstSample): void {
    const { tiles } = this;
    const { a, b, c, pc, px, py } = t;
    const a0 = a[0]!;
    const a1 = a[1]!;
    const a2 = a[2]!;
    let worst = out.error;
    for (let y = Math.max(y0, t.minY), last = Math.min(y1, t.maxY); y <= last; y++) {
      // a x + rest >= 0 per edge: small integers, exact in doubles, so the span is exact too.
      const r0 = b[0]! * y + c[0]!;
      const r1 = b[1]! * y + c[1]!;
      const r2 = b[2]! * y + c[2]!;
      let from = Math.max(x0, t.minX);
      let to = Math.min(x1, t.maxX);
      if (a0 > 0) from = Math.max(from, Math.ceil(-r0 / a0));
      else if (a0 < 0) to = Math.min(to, Math.floor(-r0 / a0));
      else if (r0 < 0) continue;
      if (a1 > 0) from = Math.max(from, Math.ceil(-r1 / a1));
      else if (a1 < 0) to = Math.min(to, Math.floor(-r1 / a1));
      else if (r1 < 0) continue;
      if (a2 > 0) from = Math.max(from, Math.ceil(-r2 / a2));
      else if (a2 < 0) to = Math.min(to, Math.floor(-r2 / a2));
      else if (r2 < 0) continue;
      const base = pc + py * y;
      // Tile by tile along the row: within a tile, sample x is at row + x.
      for (let x = from; x <= to;) {
        const end = Math.min(to, x | (TILE - 1));
        const row = this.index(x, y) - x;
        for (; x <= end; x++) {
          const error = Math.abs(base + px * x - tiles[row + x]!);
          if (error > worst) {
            worst = error;
            out.x = x;
            out.y = y;
          }
        }
      }
    }
    out.error = worst;
  }

  private swap(i: number, j: number): void {
    const { stackLevel: l, stackX: x, stackY: y, stackBound: b } = this;
    const level = l[i]!;
    l[i] = l[j]!;
    l[j] = level;
    const bx = x[i]!;
    x[i] = x[j]!;
    x[j] = bx;
    const by = y[i]!;
    y[i] = y[j]!;
    y[j] = by;
    const bound = b[i]!;
    b[i] = b[j]!;
    b[j] = bound;
  }

  private grow(): void {
    const grown = (a: Int32Array) => {
      const out = new Int32Array(a.length * 2);
      out.set(a);
      return out;
    };
    this.stackLevel = grown(this.stackLevel);
    this.stackX = grown(this.stackX);
    this.stackY = grown(this.stackY);
    const bound = new Float64Array(this.stackBound.length * 2);
    bound.set(this.stackBound);
    this.stackBound = bound;
  }
}

/** The largest |d0 + dx x + dy y| over the rectangle [x0, x1] x [y0, y1]: at a corner, it being linear. */
function spread(d0: number, dx: number, dy: number, x0: number, y0: number, x1: number, y1: number): number {
  const hx = (x1 - x0) / 2;
  const hy = (y1 - y0) / 2;
  return Math.abs(d0 + dx * (x0 + hx) + dy * (y0 + hy)) + Math.abs(dx) * hx + Math.abs(dy) * hy;
}
