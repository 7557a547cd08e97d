// create-task's depth_map file (beyond Hitem3D): a depth map the client already has, made into a
// relief without the depth model. It replaces image and image_url, so the checks that only make
// sense for a photo (the mask, the subject box) are refused here rather than silently ignored.
import { readExrHeader } from '../formats/exr-read.js';
import { sniffDepthMapType } from '../formats/depth-input.js';
import { DepthMapInputError } from '../formats/depth-map-error.js';
import type { DecodeLimits } from '../raster/decode.js';
import { isMeshFormat } from '../formats/index.js';
import type { TaskParams } from '../contract/task.js';
import { ApiError, Errors } from '../contract/errors.js';

export const DEPTH_MAP_CONTENT_TYPES = { png: 'image/png', exr: 'image/x-exr' } as const;
export type DepthMapContentType = (typeof DEPTH_MAP_CONTENT_TYPES)[keyof typeof DEPTH_MAP_CONTENT_TYPES];

export interface DepthMapRequest {
  bytes: Buffer;
  /** What else the form carried, each of which a depth map rules out. */
  image: boolean;
  imageUrl: boolean;
  mask: boolean;
}

/**
 * Checks a depth_map upload and returns the task's params with the depth-map flag. PNG or EXR by
 * content; an EXR's header is read now (cheap), so a compression or layout the reader does not
 * take is a 40020004 at once, not a failed task later. A PNG's pixels are checked by the worker.
 */
export function readDepthMapUpload(
  request: DepthMapRequest,
  params: TaskParams,
  limits: DecodeLimits,
): { params: TaskParams; contentType: DepthMapContentType } {
  if (request.image || request.imageUrl) {
    throw new ApiError(Errors.imageConflict, 'invalid parameter: send exactly one of image, image_url and depth_map');
  }
  if (!isMeshFormat(params.format)) {
    throw new ApiError(
      Errors.invalidField,
      'invalid parameter: format must be 3 (stl), 4 (glb) or 5 (3mf) with depth_map: a depth map becomes a relief',
    );
  }
  if (request.mask || params.subjectBox) {
    throw new ApiError(
      Errors.invalidField,
      `invalid parameter: ${request.mask ? 'mask' : 'subject_box'} does not apply to depth_map (the map's own alpha is the footprint)`,
    );
  }
  const { bytes } = request;
  if (params.reliefMode === 'lithophane')
    throw new ApiError(Errors.invalidField, 'invalid parameter: relief_mode lithophane is made from a photo, not a depth_map');
  if (bytes.length === 0) throw new ApiError(Errors.imageType, 'invalid parameter: depth_map is empty');
  const type = sniffDepthMapType(bytes);
  if (!type)
    throw new ApiError(
      Errors.imageType,
      'invalid parameter: depth_map must be a PNG (8 or 16-bit grey) or OpenEXR file (its content is neither)',
    );
  if (type === 'exr') {
    try {
      readExrHeader(bytes, limits.maxPixels);
    } catch (error) {
      if (error instanceof DepthMapInputError) throw new ApiError(Errors.imageType, `invalid parameter: depth_map: ${error.message}`);
      throw error;
    }
  }
  return { params: { ...params, depthMap: true }, contentType: DEPTH_MAP_CONTENT_TYPES[type] };
}
