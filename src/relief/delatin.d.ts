// Types for delatin 0.2 (mapbox/delatin, ISC), which ships none.
declare module 'delatin' {
  /** Greedy Delaunay TIN of a height field (Garland and Heckbert): adds the worst sample until the max error is met. */
  export default class Delatin {
    constructor(data: ArrayLike<number>, width: number, height?: number);
    /** x, y per vertex, in sample units. */
    coords: number[];
    /** Three vertex indices per triangle. */
    triangles: number[];
    /** Refines until the largest vertical error is at most maxError. */
    run(maxError?: number): void;
    refine(): void;
    getMaxError(): number;
    getRMSD(): number;
    heightAt(x: number, y: number): number;
    // Internals of 0.2.0 that src/relief/tin.ts overrides or feeds: package.json pins that exact version.
    /** Per triangle, the x, y of its worst sample: the vertex a split of it adds. */
    protected _candidates: number[];
    /** Queues triangle t with its largest error. */
    protected _queuePush(t: number, error: number): void;
    /** Finds the worst sample of the new triangle t (corners in sample units), sets _candidates, queues it. */
    protected _findCandidate(p0x: number, p0y: number, p1x: number, p1y: number, p2x: number, p2y: number, t: number): void;
  }
}
