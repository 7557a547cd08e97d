// The depth map as data: planes of one size, nothing more. It lives with the planes (not with the
// pipeline that makes it) because the encoders, the relief builder and a client's own depth map
// (formats/depth-input.ts) all use it without running, or importing, the pipeline.

/** A depth map as the pipeline produces it and every encoder and the relief builder receive it. */
export interface DepthMap {
  width: number;
  height: number;
  /** Row-major relative depth: near 1.0, far 0.0; 0 in the background when the background was removed. */
  depth: Float32Array;
  /** Row-major coverage 0..1 (1 = object) when the background was removed (rmbg=1); absent otherwise. */
  alpha?: Float32Array;
  /**
   * Row-major lightness 0..1 of the photo the map was made from, at the map's size: a relief's
   * detailed style carves it over the depth's volume. Absent for a depth map a client brought.
   */
  lightness?: Float32Array;
  /**
   * How many of the map's pixels one of the photo's own pixels spans (1 unless the photo was
   * smaller than the map and upscaled to it): finer than that, the lightness holds no detail.
   */
  photoPixel?: number;
}
