/**
 * Format 7: a tangent-space normal map of the depth map, as a 16-bit PNG at the map's size (RGB,
 * RGBA with the background's alpha when the background was removed), in OpenGL's convention:
 * +X right, +Y up (towards the image's top row), +Z towards the viewer, each component stored as
 * round((n * 0.5 + 0.5) * 65535). A flat area is (0.5, 0.5, 1).
 *
 * The depth map (near 1, far 0) is read as a height field whose full range, 0 to 1, rises
 * NORMAL_HEIGHT_SHARE of the map's width: h = d * NORMAL_HEIGHT_SHARE * width, in pixels. So the
 * strength does not depend on the resolution (a 1024 px map of a photo gives the normals of its
 * 2048 px map), only on the depth's relative scale, which is the depth map's own. The normal is
 * (-dh/dx, -dh/dy, 1) normalised, y up, with central differences; at the image's border and at the
 * cut's edge (alpha < 0.5 is outside) a one-sided difference, so the step down to the removed
 * background does not read as a wall. Outside the cut the normal is flat (0, 0, 1).
 */
import sharp from 'sharp';
import type { DepthMap } from '../raster/depth-map.js';
import type { FloatPlane } from '../raster/plane.js';

/**
 * The height of the depth's full range as a share of the map's width. At a half, a ball that fills
 * the width (depth 1 at its centre, 0 at its rim) has a hemisphere's normals: a subject whose depth
 * spans the map's range is taken to be about as deep as it is wide. A renderer's normal strength
 * (Blender's Normal Map node, three.js normalScale) scales it further.
 */
export const NORMAL_HEIGHT_SHARE = 0.5;

/** The normal's three components, each a plane at the map's size. */
export interface NormalPlanes {
  x: FloatPlane;
  y: FloatPlane;
  z: FloatPlane;
}

/** The unit normals of a depth map (see the file's comment for the convention and the scale). */
export function depthNormals(map: DepthMap): NormalPlanes {
  const { width, height, depth, alpha } = map;
  const n = width * height;
  const nx = new Float32Array(n);
  const ny = new Float32Array(n);
  const nz = new Float32Array(n);
  // The heights (clamped as the depth PNG stores the depth; NaN is 0) and the cut, once each:
  // the loop below reads every pixel five times.
  const scale = NORMAL_HEIGHT_SHARE * width;
  const h = new Float32Array(n);
  const inside = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const v = depth[i] as number;
    h[i] = (v > 0 ? (v < 1 ? v : 1) : 0) * scale;
    inside[i] = !alpha || (alpha[i] as number) >= 0.5 ? 1 : 0;
  }
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (!inside[i]) {
        nz[i] = 1;
        continue;
      }
      const left = x > 0 && inside[i - 1] ? i - 1 : i;
      const right = x < width - 1 && inside[i + 1] ? i + 1 : i;
      const up = y > 0 && inside[i - width] ? i - width : i;
      const down = y < height - 1 && inside[i + width] ? i + width : i;
      // Slopes per pixel, in the height's pixel units; 0 where a pixel has no neighbour on either side.
      const dx = right === left ? 0 : ((h[right] as number) - (h[left] as number)) / (right - left);
      // Rows go down the image; +Y is up, so the slope along +Y is the negated slope down the rows.
      const dyUp = down === up ? 0 : -((h[down] as number) - (h[up] as number)) / ((down - up) / width);
      const length = Math.sqrt(dx * dx + dyUp * dyUp + 1);
      nx[i] = -dx / length;
      ny[i] = -dyUp / length;
      nz[i] = 1 / length;
    }
  }
  return { x: { width, height, data: nx }, y: { width, height, data: ny }, z: { width, height, data: nz } };
}

export async function encodeNormalMap(map: DepthMap): Promise<Buffer> {
  const { width, height, depth, alpha } = map;
  const n = width * height;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new RangeError(`normal map: bad size ${width}x${height}`);
  }
  if (depth.length !== n || (alpha && alpha.length !== n)) {
    throw new RangeError(`normal map: pixel arrays do not match ${width}x${height}`);
  }
  const normals = depthNormals(map);
  const channels = alpha ? 4 : 3;
  const pixels = new Uint16Array(n * channels);
  const [x, y, z] = [normals.x.data, normals.y.data, normals.z.data];
  for (let i = 0; i < n; i++) {
    const at = i * channels;
    pixels[at] = toUshort((x[i] as number) * 0.5 + 0.5);
    pixels[at + 1] = toUshort((y[i] as number) * 0.5 + 0.5);
    pixels[at + 2] = toUshort((z[i] as number) * 0.5 + 0.5);
    if (alpha) pixels[at + 3] = toUshort(alpha[i] as number);
  }
  // As png16.ts: ushort samples in, rgb16 kept at 16 bits, the same PNG compression settings.
  const png = await sharp(pixels, { raw: { width, height, channels } })
    .toColourspace('rgb16')
    .png({ compressionLevel: 2, adaptiveFiltering: true })
    .toBuffer();
  const meta = await sharp(png).metadata();
  if (meta.depth !== 'ushort' || meta.channels !== channels) {
    throw new Error(`normal map: sharp wrote ${meta.channels} channel(s) of ${meta.depth}, expected ${channels} of ushort`);
  }
  return png;
}

/** round(v * 65535) of v clamped to 0..1, as png16.ts stores the depth and its alpha. */
function toUshort(v: number): number {
  return v > 0 ? (v < 1 ? (v * 65535 + 0.5) | 0 : 65535) : 0;
}
