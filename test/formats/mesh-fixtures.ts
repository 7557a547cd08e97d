// Meshes for the mesh-format tests: a hand-made cube with known answers, and reliefs of a
// synthetic map and of a real photo (through the real pipeline).
import type { ReliefMesh } from '../../src/relief/index.js';
import { buildRelief } from '../../src/relief/index.js';
import { photoMap, syntheticMap } from '../relief/helpers.js';

/** A 10 x 20 x 5 mm box at the origin: 8 vertices, 12 outward triangles, 1000 mm³. */
export function box(): ReliefMesh {
  const positions = new Float32Array([0, 0, 0, 10, 0, 0, 10, 20, 0, 0, 20, 0, 0, 0, 5, 10, 0, 5, 10, 20, 5, 0, 20, 5]);
  // prettier-ignore
  const indices = new Uint32Array([
    0, 2, 1, 0, 3, 2, // bottom, facing -z
    4, 5, 6, 4, 6, 7, // top, +z
    0, 1, 5, 0, 5, 4, // front, -y
    1, 2, 6, 1, 6, 5, // right, +x
    2, 3, 7, 2, 7, 6, // back, +y
    3, 0, 4, 3, 4, 7, // left, -x
  ]);
  return { positions, indices };
}

/** A 30 mm plate with a dome (a synthetic map, no model needed). */
export function domeRelief(): ReliefMesh {
  const map = syntheticMap(120, 90, (x, y) => Math.max(0, 1 - Math.hypot(x - 60, y - 45) / 40));
  return buildRelief(map, { heightRelief: 3, width: 30, shapeBase: 'square', thicknessBase: 1, sculpmode: 'emboss' }).mesh;
}

/** The apple cut out of its photo, at the hi3d defaults and a coarse error, so slicing is quick. */
export async function appleRelief(): Promise<ReliefMesh> {
  const map = await photoMap('apple', true);
  return buildRelief(map, { heightRelief: 1.3, width: 40, shapeBase: 'square', thicknessBase: 1, sculpmode: 'emboss' }, { maxError: 0.05 })
    .mesh;
}
