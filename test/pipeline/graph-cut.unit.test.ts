// The grid min-cut against brute force: on small grids every labelling is tried, and the cut the
// max-flow finds must cost exactly the least of them; on a large one it must separate two regions
// the way the costs say.
import { describe, expect, it } from 'vitest';
import { mulberry32 as random } from '../../bench/eval/stats.js';
import { minCut, type GridGraph } from '../../src/pipeline/graph-cut.js';

const DIRECTIONS: [number, number][] = [
  [1, 0],
  [0, 1],
  [1, 1],
  [-1, 1],
];

function cost(graph: GridGraph, labels: Uint8Array): number {
  const { width, height } = graph;
  let total = 0;
  for (let p = 0; p < width * height; p++) total += labels[p] ? graph.toForeground[p]! : graph.toBackground[p]!;
  for (let d = 0; d < 4; d++) {
    const [dx, dy] = DIRECTIONS[d]!;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const qx = x + dx;
        const qy = y + dy;
        if (qx < 0 || qx >= width || qy >= height) continue;
        if (labels[y * width + x] !== labels[qy * width + qx]) total += graph.pairwise[d]![y * width + x]!;
      }
    }
  }
  return total;
}

function randomGraph(width: number, height: number, next: () => number, smooth: number): GridGraph {
  const n = width * height;
  // Integer-valued costs keep the sums exact, so "the least cost" is compared without tolerance.
  const plane = (scale: number) => Float32Array.from({ length: n }, () => Math.floor(next() * scale));
  return {
    width,
    height,
    toBackground: plane(10),
    toForeground: plane(10),
    pairwise: [plane(smooth), plane(smooth), plane(smooth), plane(smooth)],
  };
}

describe('minCut', () => {
  it('finds a labelling of least cost on every small random grid', () => {
    const next = random(13);
    for (let trial = 0; trial < 300; trial++) {
      const width = 2 + Math.floor(next() * 3);
      const height = 2 + Math.floor(next() * 2);
      const graph = randomGraph(width, height, next, trial % 3 === 0 ? 2 : 8);
      const n = width * height;
      let best = Infinity;
      const labels = new Uint8Array(n);
      for (let mask = 0; mask < 1 << n; mask++) {
        for (let p = 0; p < n; p++) labels[p] = (mask >> p) & 1;
        best = Math.min(best, cost(graph, labels));
      }
      expect(cost(graph, minCut(graph)), `trial ${trial} (${width}x${height})`).toBe(best);
    }
  });

  it('cuts a large grid along the weak edges between two regions', () => {
    const width = 300;
    const height = 200;
    const n = width * height;
    const next = random(7);
    // The left 120 columns lean foreground, the rest background, with noise that the smoothness
    // must overrule; the edges are weak only along column 120.
    const toBackground = new Float32Array(n);
    const toForeground = new Float32Array(n);
    const smooth = new Float32Array(n);
    for (let p = 0; p < n; p++) {
      const left = p % width < 120;
      const noise = next() * 3;
      toBackground[p] = left ? 2 + noise : noise;
      toForeground[p] = left ? noise : 2 + noise;
      smooth[p] = p % width === 119 ? 0.1 : 3;
    }
    const labels = minCut({ width, height, toBackground, toForeground, pairwise: [smooth, smooth, smooth, smooth] });
    let wrong = 0;
    for (let p = 0; p < n; p++) if (labels[p] !== (p % width < 120 ? 1 : 0)) wrong++;
    expect(wrong).toBe(0);
  });
});
