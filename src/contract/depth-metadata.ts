// What a depth map means, recorded with it (EXR header attributes) so that a user can interpret
// the values without reading our code, and recover the model's own prediction. Part of the
// contract: it is what a client reads in the file it downloads (docs/API.md), written by
// formats/exr.ts from what pipeline/run.ts measured.

export interface DepthMetadata {
  /** Registry name of the depth model ("fastdepth"). */
  model: string;
  /** The pipeline that made the map: "pro" or "base" (plus "+objects" when the background was removed). */
  pipeline: string;
  /** The value convention, in words. */
  convention: string;
  /** Raw inverse depth that maps to 0 (the farthest foreground point). */
  rawMin: number;
  /** Raw inverse depth that maps to 1 (the nearest foreground point). */
  rawMax: number;
  /** Unit of the raw values: "1/m" for a metric model's inverted depth, else the model's disparity. */
  rawUnit: string;
}

/** In words, with the EXR attribute names (encodeExr writes rawMin/rawMax as depthRawMin/depthRawMax). */
export const CONVENTION = 'normalized inverse depth, near 1, far 0: raw inverse depth = depthRawMin + value * (depthRawMax - depthRawMin)';
