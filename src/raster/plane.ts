// The one pixel container of the image code: the model stages, the filters, the depth map's
// channels and the relief's inputs all pass planes of this shape.

/** A single-channel float image, row-major. */
export interface FloatPlane {
  width: number;
  height: number;
  data: Float32Array;
}
