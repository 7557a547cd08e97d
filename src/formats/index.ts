/** One entry point for the outputs of the API (see shared/API.md, "Outputs"). */
import type { DepthMap } from '../pipeline/depth-map.js';
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

export interface EncodedOutput {
  bytes: Buffer;
  extension: string;
  contentType: string;
}

export function isMeshFormat(format: string): format is MeshFormat {
  return format === 'stl' || format === 'glb' || format === '3mf';
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

/** A relief mesh (from relief/buildRelief) as STL, GLB or 3MF. */
export async function encodeRelief(format: MeshFormat, mesh: ReliefMesh): Promise<EncodedOutput> {
  switch (format) {
    case 'stl':
      return { bytes: encodeStl(mesh), extension: 'stl', contentType: 'model/stl' };
    case 'glb':
      return { bytes: await encodeGlb(mesh), extension: 'glb', contentType: 'model/gltf-binary' };
    case '3mf':
      return { bytes: encode3mf(mesh), extension: '3mf', contentType: 'model/3mf' };
    default: {
      const unknown: never = format;
      throw new RangeError(`unknown mesh format: ${String(unknown)}`);
    }
  }
}
