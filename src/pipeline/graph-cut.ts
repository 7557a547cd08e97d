// Minimum cut of an 8-connected pixel grid: the Boykov-Kolmogorov max-flow algorithm ("An
// Experimental Comparison of Min-Cut/Max-Flow Algorithms for Energy Minimization in Vision", PAMI
// 2004), the one GrabCut and most vision code use. Two search trees grow from the source
// (foreground) and the sink (background) and are reused between augmentations, which is what
// makes it fast on grids: no library on npm offers it for typed-array grids (the maintained
// graph libraries are general-purpose and allocate an object per edge, far too slow for 200k
// pixels), so it is written here, small and tested against a brute-force cut.

/** The 8 neighbour directions as (dx, dy), in opposite pairs: direction k ^ 1 is k's reverse. */
const DX = Int8Array.from([1, -1, 0, 0, 1, -1, -1, 1]);
const DY = Int8Array.from([0, 0, 1, -1, 1, -1, 1, -1]);

/** Parent codes beside the 8 directions. */
const TERMINAL = 8;
const ORPHAN = 9;
const NO_PARENT = 10;

const FREE = 0;
const SOURCE = 1;
const SINK = 2;

export interface GridGraph {
  width: number;
  height: number;
  /** Cost of labelling each pixel background (the capacity of its edge from the source). */
  toBackground: Float32Array;
  /** Cost of labelling each pixel foreground (the capacity of its edge to the sink). */
  toForeground: Float32Array;
  /**
   * Smoothness weight of each pixel's edge in directions 0 (right), 2 (down), 4 (down right) and 6
   * (down left), as 4 planes of width x height: the cost of cutting between the two pixels. The
   * edges are undirected (the same weight both ways).
   */
  pairwise: [Float32Array, Float32Array, Float32Array, Float32Array];
}

/**
 * The labelling of least total cost: 1 = foreground (source side), 0 = background. Pixels whose
 * cost is equal either way keep the side their tree reached, background when none did.
 */
export function minCut(graph: GridGraph): Uint8Array {
  const { width, height } = graph;
  const n = width * height;
  const cap = new Float32Array(n * 8);
  const offset = Int32Array.from({ length: 8 }, (_, k) => DX[k]! + DY[k]! * width);
  for (let d = 0; d < 4; d++) {
    const k = d * 2;
    const weights = graph.pairwise[d]!;
    for (let y = 0; y < height; y++) {
      const qy = y + DY[k]!;
      if (qy < 0 || qy >= height) continue;
      for (let x = 0; x < width; x++) {
        const qx = x + DX[k]!;
        if (qx < 0 || qx >= width) continue;
        const p = y * width + x;
        const w = weights[p]!;
        cap[p * 8 + k] = w;
        cap[(p + offset[k]!) * 8 + (k ^ 1)] = w;
      }
    }
  }
  // Net terminal capacity: > 0 joins the source, < 0 the sink. The common part of the two edges
  // is flow that is pushed at once.
  const terminal = new Float32Array(n);
  for (let p = 0; p < n; p++) terminal[p] = graph.toBackground[p]! - graph.toForeground[p]!;

  const tree = new Uint8Array(n);
  const parent = new Uint8Array(n).fill(NO_PARENT);
  // BK's heuristics: the distance to the terminal and when it was last known valid.
  const dist = new Int32Array(n);
  const stamp = new Int32Array(n);
  let time = 1;
  // Active nodes: a FIFO as a ring over a preallocated array; `queued` avoids duplicates.
  const queue = new Int32Array(n + 1);
  let head = 0;
  let tail = 0;
  const queued = new Uint8Array(n);
  const activate = (p: number): void => {
    if (queued[p]) return;
    queued[p] = 1;
    queue[tail] = p;
    tail = tail === n ? 0 : tail + 1;
  };
  const orphans: number[] = [];

  // Which of the 8 neighbours exist, per pixel, as a bit set: the border test once, not per visit.
  const inside = new Uint8Array(n);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let bits = 0;
      for (let k = 0; k < 8; k++) {
        const qx = x + DX[k]!;
        const qy = y + DY[k]!;
        if (qx >= 0 && qx < width && qy >= 0 && qy < height) bits |= 1 << k;
      }
      inside[y * width + x] = bits;
    }
  }
  const neighbour = (p: number, k: number): number => (inside[p]! & (1 << k) ? p + offset[k]! : -1);

  for (let p = 0; p < n; p++) {
    if (terminal[p] !== 0) {
      tree[p] = terminal[p]! > 0 ? SOURCE : SINK;
      parent[p] = TERMINAL;
      dist[p] = 1;
      stamp[p] = time;
      activate(p);
    }
  }

  /** Pushes the most flow the path sNode ... -> tNode ... carries; saturated tree edges orphan their child. */
  const augment = (sNode: number, tNode: number, k: number): void => {
    // k: direction from sNode to tNode. The bottleneck: the link, the path up the source tree
    // and its terminal edge, the path up the sink tree and its terminal edge.
    let bottleneck = cap[sNode * 8 + k]!;
    let p = sNode;
    while (parent[p] !== TERMINAL) {
      const dir = parent[p]!;
      const q = p + offset[dir]!;
      const c = cap[q * 8 + (dir ^ 1)]!;
      if (c < bottleneck) bottleneck = c;
      p = q;
    }
    if (terminal[p]! < bottleneck) bottleneck = terminal[p]!;
    p = tNode;
    while (parent[p] !== TERMINAL) {
      const dir = parent[p]!;
      const c = cap[p * 8 + dir]!;
      if (c < bottleneck) bottleneck = c;
      p = p + offset[dir]!;
    }
    if (-terminal[p]! < bottleneck) bottleneck = -terminal[p]!;
    // Push.
    cap[sNode * 8 + k] = cap[sNode * 8 + k]! - bottleneck;
    cap[tNode * 8 + (k ^ 1)] = cap[tNode * 8 + (k ^ 1)]! + bottleneck;
    for (p = sNode; ;) {
      if (parent[p] === TERMINAL) {
        terminal[p] = terminal[p]! - bottleneck;
        if (terminal[p] === 0) {
          parent[p] = ORPHAN;
          orphans.push(p);
        }
        break;
      }
      const dir = parent[p]!;
      const q = p + offset[dir]!;
      cap[q * 8 + (dir ^ 1)] = cap[q * 8 + (dir ^ 1)]! - bottleneck;
      cap[p * 8 + dir] = cap[p * 8 + dir]! + bottleneck;
      if (cap[q * 8 + (dir ^ 1)] === 0) {
        parent[p] = ORPHAN;
        orphans.push(p);
      }
      p = q;
    }
    for (p = tNode; ;) {
      if (parent[p] === TERMINAL) {
        terminal[p] = terminal[p]! + bottleneck;
        if (terminal[p] === 0) {
          parent[p] = ORPHAN;
          orphans.push(p);
        }
        break;
      }
      const dir = parent[p]!;
      const q = p + offset[dir]!;
      cap[p * 8 + dir] = cap[p * 8 + dir]! - bottleneck;
      cap[q * 8 + (dir ^ 1)] = cap[q * 8 + (dir ^ 1)]! + bottleneck;
      if (cap[p * 8 + dir] === 0) {
        parent[p] = ORPHAN;
        orphans.push(p);
      }
      p = q;
    }
  };

  /** Finds a new parent for an orphan in its own tree, or frees it (BK's adoption stage). */
  const adopt = (p: number): void => {
    const side = tree[p]!;
    let best = NO_PARENT;
    let bestDist = Infinity;
    for (let k = 0; k < 8; k++) {
      const q = neighbour(p, k);
      if (q < 0 || tree[q] !== side) continue;
      // The edge must carry flow along the tree's direction: q -> p in S, p -> q in T.
      const c = side === SOURCE ? cap[q * 8 + (k ^ 1)]! : cap[p * 8 + k]!;
      if (!(c > 0)) continue;
      // Walk up from q: its origin must be a terminal, not an orphan.
      let d = 0;
      let r = q;
      let valid = false;
      for (;;) {
        if (stamp[r] === time) {
          d += dist[r]!;
          valid = true;
          break;
        }
        const pr = parent[r]!;
        d++;
        if (pr === TERMINAL) {
          stamp[r] = time;
          dist[r] = 1;
          valid = true;
          break;
        }
        if (pr === ORPHAN || pr === NO_PARENT) break;
        r = r + offset[pr]!;
      }
      if (!valid) continue;
      if (d < bestDist) {
        best = k;
        bestDist = d;
      }
      // Mark the path with the distances found, for the next orphans.
      for (let s = q, dd = d; stamp[s] !== time;) {
        stamp[s] = time;
        dist[s] = dd--;
        s = s + offset[parent[s]!]!;
      }
    }
    if (best !== NO_PARENT) {
      parent[p] = best;
      stamp[p] = time;
      dist[p] = bestDist + 1;
      return;
    }
    // No parent: p leaves its tree; its children become orphans, its neighbours that could reach
    // it become active again.
    for (let k = 0; k < 8; k++) {
      const q = neighbour(p, k);
      if (q < 0 || tree[q] !== side) continue;
      const c = side === SOURCE ? cap[q * 8 + (k ^ 1)]! : cap[p * 8 + k]!;
      if (c > 0) activate(q);
      const pq = parent[q]!;
      if (pq < 8 && q + offset[pq]! === p) {
        parent[q] = ORPHAN;
        orphans.push(q);
      }
    }
    tree[p] = FREE;
    parent[p] = NO_PARENT;
  };

  while (head !== tail) {
    const p = queue[head]!;
    head = head === n ? 0 : head + 1;
    queued[p] = 0;
    if (tree[p] === FREE) continue;
    // Growth: look for a path from this node into the other tree.
    let found = -1;
    let foundDir = 0;
    const side = tree[p]!;
    for (let k = 0; k < 8; k++) {
      const q = neighbour(p, k);
      if (q < 0) continue;
      const c = side === SOURCE ? cap[p * 8 + k]! : cap[q * 8 + (k ^ 1)]!;
      if (!(c > 0)) continue;
      if (tree[q] === FREE) {
        tree[q] = side;
        parent[q] = k ^ 1;
        stamp[q] = stamp[p]!;
        dist[q] = dist[p]! + 1;
        activate(q);
      } else if (tree[q] !== side) {
        found = q;
        foundDir = k;
        break;
      }
    }
    if (found < 0) continue;
    // p stays active: it may have more paths.
    activate(p);
    time++;
    if (side === SOURCE) augment(p, found, foundDir);
    else augment(found, p, foundDir ^ 1);
    while (orphans.length > 0) adopt(orphans.pop()!);
  }

  const labels = new Uint8Array(n);
  for (let p = 0; p < n; p++) labels[p] = tree[p] === SOURCE ? 1 : 0;
  return labels;
}
