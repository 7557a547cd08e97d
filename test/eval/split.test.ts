// The scene split of the evaluation (bench/eval/dataset.ts): tune on one half, verify on the other.
// Frames of one scene must never be on both sides, or the "unseen" half is not unseen.
// Read from test/fixtures/eval/pairs.csv, a copy of the evaluation set's index (no images needed).
import { describe, expect, it } from 'vitest';
import { readPairs, splitPairs } from '../../bench/eval/dataset.js';
import { fixture } from '../helpers/fixtures.js';

const pairs = readPairs(fixture('eval'));

describe('scene split', () => {
  it('keeps every scene group within one half', () => {
    const halves = new Map<string, Set<string>>();
    for (const p of pairs) halves.set(p.scene, (halves.get(p.scene) ?? new Set()).add(p.half));
    for (const [scene, set] of halves) expect([scene, set.size]).toEqual([scene, 1]);
  });

  it('groups the duplicates MANIFEST.md lists (and the NYU basement frames) as one scene', () => {
    const scene = (id: string): string => pairs.find((p) => p.id === id)!.scene;
    const same = (ids: string[]): void => expect(new Set(ids.map(scene)).size).toBe(1);
    same(['kinect_sb2_1', 'kinect_sb2_2', 'kinect_sb2_3', 'kinect_sb2_4', 'kinect_sb2_5']);
    same(['tum_sb2_1', 'tum_sb2_2']);
    same(['kitti_m3d_0005', 'kitti_m3d_0050', 'kitti_m3d_0100']);
    same(['mb2003_cones', 'mb2003_cones-im6']);
    same(['nyu_m3d_00000', 'nyu_m3d_00050', 'nyu_m3d_00100']);
  });

  it('puts rooms and Middlebury objects in both halves, and every pair in one of them', () => {
    const a = splitPairs(pairs, 'A');
    const b = splitPairs(pairs, 'B');
    expect(a.length + b.length).toBe(pairs.length);
    for (const half of [a, b]) {
      expect(half.some((p) => p.kind === 'indoor')).toBe(true);
      expect(half.some((p) => p.kind === 'object')).toBe(true);
    }
    // KITTI is one drive: the only outdoor scene, so in one half only.
    expect(new Set(pairs.filter((p) => p.kind === 'outdoor').map((p) => p.half)).size).toBe(1);
    expect(splitPairs(pairs)).toHaveLength(pairs.length);
  });
});
