// Types for delatin 0.2 (mapbox/delatin, ISC), which ships none: the reference that
// test/relief/tin.unit.test.ts holds src/relief/tin.ts to.
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
  }
}
