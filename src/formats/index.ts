/** One entry point for the outputs of the API (see shared/API.md, "Outputs"). */
import type { DepthMap } from '../pipeline/depth-map.js';
import type { DepthMetadata } from '../pipeline/metadata.js';
import type { ReliefMesh } from '../relief/mesh.js';
import { encodeBmp } from './bmp.js';
import { encodeExr } from './exr.js';
import { encodeGlb } from './glb.js';
import { encodePng16 } from './png16.js';
import { encodeStl } from './stl.js';
import { encode3mf } from './threemf.js';

export type DepthFormat = 'exr' | 'png' | 'bmp';
/** The relief formats: a mesh, not a map. */
export type MeshFormat = 'stl' | 'glb' | '3mf';

/** The media type of each output, by file extension (also what download responses carry). */
export const CONTENT_TYPES: Readonly<Record<DepthFormat | MeshFormat, string>> = {
  exr: 'image/x-exr',
  png: 'image/png',
  bmp: 'image/bmp',
  stl: 'model/stl',
  glb: 'model/gltf-binary',
  '3mf': 'model/3mf',
};

export interface EncodedOutput {
  bytes: Buffer;
  extension: string;
  contentType: string;
}

export function isMeshFormat(format: string): format is MeshFormat {
  return format === 'stl' || format === 'glb' || format === '3mf';
}

/** A depth map as EXR, PNG or BMP; EXR also records the metadata (model, convention, raw range). */
export async function encodeDepthMap(format: DepthFormat, map: DepthMap, metadata?: DepthMetadata): Promise<EncodedOutput> {
  switch (format) {
    case 'exr':
      return { bytes: encodeExr(map, metadata), extension: 'exr', contentType: CONTENT_TYPES['exr'] };
    case 'png':
      return { bytes: await encodePng16(map), extension: 'png', contentType: CONTENT_TYPES['png'] };
    case 'bmp':
      return { bytes: encodeBmp(map), extension: 'bmp', contentType: CONTENT_TYPES['bmp'] };
    default: {
      const unknown: never = format;
      throw new RangeError(`unknown depth format: ${String(unknown)}`);
    }
  }
}

/** A relief mesh (from relief/buildRelief) as STL, GLB or 3MF. */
export async function encodeRelief(format: MeshFormat, mesh: ReliefMesh): Promise<EncodedOutput> {
  switch (format) {
    case 'stl':
      return { bytes: encodeStl(mesh), extension: 'stl', contentType: CONTENT_TYPES['stl'] };
    case 'glb':
      return { bytes: await encodeGlb(mesh), extension: 'glb', contentType: CONTENT_TYPES['glb'] };
    case '3mf':
      return { bytes: encode3mf(mesh), extension: '3mf', contentType: CONTENT_TYPES['3mf'] };
    default: {
      const unknown: never = format;
      throw new RangeError(`unknown mesh format: ${String(unknown)}`);
    }
  }
}
