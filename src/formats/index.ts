/** One entry point for the depth-map outputs of the API (see shared/API.md, "Outputs"). */
import type { DepthMap } from '../pipeline/depth-map.js';
import { encodeBmp } from './bmp.js';
import { encodeExr } from './exr.js';
import { encodePng16 } from './png16.js';

export type DepthFormat = 'exr' | 'png' | 'bmp';

export interface EncodedOutput {
  bytes: Buffer;
  extension: string;
  contentType: string;
}

export async function encodeDepthMap(format: DepthFormat, map: DepthMap): Promise<EncodedOutput> {
  switch (format) {
    case 'exr':
      return { bytes: encodeExr(map), extension: 'exr', contentType: 'image/x-exr' };
    case 'png':
      return { bytes: await encodePng16(map), extension: 'png', contentType: 'image/png' };
    case 'bmp':
      return { bytes: encodeBmp(map), extension: 'bmp', contentType: 'image/bmp' };
    default: {
      const unknown: never = format;
      throw new RangeError(`unknown depth format: ${String(unknown)}`);
    }
  }
}
