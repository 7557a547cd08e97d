/** A depth map as the pipeline produces it and every encoder and the relief builder receive it. */
export interface DepthMap {
  width: number;
  height: number;
  /** Row-major relative depth: near 1.0, far 0.0; 0 in the background when the background was removed. */
  depth: Float32Array;
  /** Row-major coverage 0..1 (1 = object) when the background was removed (rmbg=1); absent otherwise. */
  alpha?: Float32Array;
}
