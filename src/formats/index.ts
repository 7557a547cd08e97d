/** One entry point for the outputs of the API (docs/API.md "Outputs"). */
import type { DepthMap } from '../raster/depth-map.js';
import type { DepthMetadata } from '../contract/depth-metadata.js';
import type { ReliefMesh } from '../relief/mesh.js';
import { formatExtension, formatInfo, type DepthFormat, type MeshFormat } from '@depthmill/client/contract';
import { encodeBmp } from './bmp.js';
import { encodeExr } from './exr.js';
import { encodeGlb } from './glb.js';
import { encodeNormalMap } from './normal-map.js';
import { encodePng16 } from './png16.js';
import { encodeStl } from './stl.js';
import { encode3mf } from './threemf.js';

export { isMeshFormat, type DepthFormat, type MeshFormat } from '@depthmill/client/contract';

export interface EncodedOutput {
  bytes: Buffer;
  extension: string;
  contentType: string;
}

/**
 * The encoder of each format of the table (contract/formats.ts): a format added there fails to
 * compile until it has its encoder here.
 */
const DEPTH_ENCODERS: { [F in DepthFormat]: (map: DepthMap, metadata?: DepthMetadata) => Buffer | Promise<Buffer> } = {
  exr: encodeExr,
  png: encodePng16,
  bmp: encodeBmp,
  normal: encodeNormalMap,
};
const MESH_ENCODERS: { [F in MeshFormat]: (mesh: ReliefMesh) => Buffer | Promise<Buffer> } = {
  stl: encodeStl,
  glb: encodeGlb,
  '3mf': encode3mf,
};

/** A depth map as EXR, PNG or BMP, or its normal map; EXR also records the metadata (model, convention, raw range). */
export async function encodeDepthMap(format: DepthFormat, map: DepthMap, metadata?: DepthMetadata): Promise<EncodedOutput> {
  const encode = DEPTH_ENCODERS[format];
  if (!encode) throw new RangeError(`unknown depth format: ${String(format)}`);
  return { bytes: await encode(map, metadata), extension: formatExtension(format), contentType: formatInfo(format).mediaType };
}

/** A relief mesh (from relief/buildRelief) as STL, GLB or 3MF. */
export async function encodeRelief(format: MeshFormat, mesh: ReliefMesh): Promise<EncodedOutput> {
  const encode = MESH_ENCODERS[format];
  if (!encode) throw new RangeError(`unknown mesh format: ${String(format)}`);
  return { bytes: await encode(mesh), extension: format, contentType: formatInfo(format).mediaType };
}
