// The bas-relief engine on made-up depth: large steps shrink, small shape grows, pieces keep their
// order, and detail 0 is the depth as it is.
import { describe, expect, it } from 'vitest';
import { basRelief } from '../../src/relief/bas-relief.js';

const cols = 200;
const rows = 150;

/** A step of 0.8 at x = 100 over a gentle slope, with 0.02 bumps everywhere. */
function stepWithBumps(): { depth: Float32Array; inside: Uint8Array } {
  const depth = new Float32Array(cols * rows);
  for (let y = 0; y < rows; y++) {
    for (let x = 0; x < cols; x++) depth[y * cols + x] = (x >= 100 ? 0.8 : 0) + 0.1 * (y / rows) + 0.02 * Math.sin(x / 4) * Math.sin(y / 4);
  }
  return { depth, inside: new Uint8Array(cols * rows).fill(1) };
}

/** Mean over the left and right halves (away from the step), and the bumps' RMS about a 9x9 mean. */
function measure(h: Float32Array): { step: number; bumps: number } {
  let left = 0;
  let right = 0;
  let nl = 0;
  let nr = 0;
  let ss = 0;
  let n = 0;
  for (let y = 10; y < rows - 10; y++) {
    for (let x = 10; x < cols - 10; x++) {
      const v = h[y * cols + x]!;
      if (x < 90) {
        left += v;
        nl++;
      }
      if (x > 110) {
        right += v;
        nr++;
      }
      if (Math.abs(x - 100) < 12) continue;
      let mean = 0;
      for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) mean += h[(y + dy) * cols + x + dx]!;
      ss += (v - mean / 81) ** 2;
      n++;
    }
  }
  return { step: right / nr - left / nl, bumps: Math.sqrt(ss / n) };
}

describe('basRelief', () => {
  it('with detail 0 is the depth stretched to 0..1', () => {
    const { depth, inside } = stepWithBumps();
    const h = basRelief({ cols, rows, depth, inside, mmPerSample: 0.1 }, { detail: 0, smooth: 0 });
    let low = Infinity;
    let high = -Infinity;
    for (const d of depth) {
      low = Math.min(low, d);
      high = Math.max(high, d);
    }
    for (let i = 0; i < h.length; i += 37) expect(h[i]).toBeCloseTo((depth[i]! - low) / (high - low), 5);
  });

  it('shrinks the large step and makes the small shape several times stronger, within 0..1', () => {
    const { depth, inside } = stepWithBumps();
    const linear = measure(basRelief({ cols, rows, depth, inside, mmPerSample: 0.1 }, { detail: 0, smooth: 0 }));
    const relief = basRelief({ cols, rows, depth, inside, mmPerSample: 0.1 }, { detail: 0.6, smooth: 0 });
    const shaped = measure(relief);
    expect(shaped.step).toBeGreaterThan(0.1); // the step keeps its sign: the near side stays higher
    expect(shaped.step).toBeLessThan(0.75 * linear.step);
    expect(shaped.bumps).toBeGreaterThan(3 * linear.bumps);
    expect(Math.min(...relief)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...relief)).toBeCloseTo(1, 6);
  });

  it('keeps separate pieces in their order of depth', () => {
    const depth = new Float32Array(cols * rows);
    const inside = new Uint8Array(cols * rows);
    for (let y = 20; y < 130; y++) {
      for (let x = 10; x < 90; x++) {
        inside[y * cols + x] = 1;
        depth[y * cols + x] = 0.2;
      }
      for (let x = 110; x < 190; x++) {
        inside[y * cols + x] = 1;
        depth[y * cols + x] = 0.9 + 0.05 * Math.sin(x / 5);
      }
    }
    const h = basRelief({ cols, rows, depth, inside, mmPerSample: 0.1 }, { detail: 0.6, smooth: 0 });
    expect(h[75 * cols + 150]!).toBeGreaterThan(h[75 * cols + 50]! + 0.2);
  });

  it('smooths texture finer than `smooth` mm away', () => {
    const depth = new Float32Array(cols * rows);
    for (let i = 0; i < depth.length; i++) depth[i] = 0.5 + ((i * 7919) % 13) / 130; // pixel noise
    const inside = new Uint8Array(cols * rows).fill(1);
    const raw = measure(basRelief({ cols, rows, depth, inside, mmPerSample: 0.05 }, { detail: 0, smooth: 0 }));
    const smooth = measure(basRelief({ cols, rows, depth, inside, mmPerSample: 0.05 }, { detail: 0, smooth: 0.5 }));
    expect(smooth.bumps).toBeLessThan(raw.bumps / 3);
  });
});

describe('round volumes stay round', () => {
  it('shapes a dome the same along its axes and its diagonals: no cross, no crease', () => {
    const size = 161;
    const radius = 70;
    const depth = new Float32Array(size * size);
    const inside = new Uint8Array(size * size);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        const r = Math.hypot(x - 80, y - 80) / radius;
        if (r > 1) continue;
        inside[y * size + x] = 1;
        depth[y * size + x] = Math.sqrt(1 - r * r);
      }
    }
    const h = basRelief({ cols: size, rows: size, depth, inside, mmPerSample: 0.1 }, { detail: 0.7, smooth: 0.5 });
    // Heights at the same distance from the centre, on an axis and on a diagonal, all the way out.
    let worst = 0;
    for (let r = 5; r < radius - 5; r += 5) {
      const d = Math.round(r / Math.SQRT2);
      const axis = [h[80 * size + 80 + r]!, h[(80 + r) * size + 80]!];
      const diagonal = [h[(80 + d) * size + 80 + d]!, h[(80 - d) * size + 80 + d]!];
      for (const a of axis) for (const b of diagonal) worst = Math.max(worst, Math.abs(a - b));
    }
    expect(worst).toBeLessThan(0.03);
  });
});
