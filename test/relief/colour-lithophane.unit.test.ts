// Colour lithophanes (litho_color=1): a photo of red, green, blue and white quadrants becomes four
// closed parts (ADMesh), stacked cyan, magenta, yellow, white, whose thicknesses make each quadrant's
// colour; the 3MF is one object of four coloured parts as PrusaSlicer reads it, and its simulated
// back-lit picture shows the quadrants' colours.
import sharp from 'sharp';
import { strFromU8, unzipSync } from 'fflate';
import { beforeAll, describe, expect, it } from 'vitest';
import { backlit3mf, readModelParts } from '@depthmill/client/backlight';
import { COLOUR_LAYER_HEIGHT, FILAMENTS } from '@depthmill/client/contract';
import { createTaskFields, toTaskParams } from '../../src/contract/create-task-schema.js';
import { encodeStl } from '../../src/formats/stl.js';
import { shellCount } from '../../src/relief/mesh.js';
import { buildColourLithophane, type ColourLithophane } from '../../src/relief/colour-lithophane.js';
import { renderLithophane } from '../../src/render.js';
import { admesh, slice, slicerInfo, writeTemp } from './helpers.js';

const QUADRANTS = {
  red: [220, 30, 30],
  green: [30, 190, 40],
  blue: [30, 40, 220],
  white: [240, 240, 240],
} as const;
type Quadrant = keyof typeof QUADRANTS;
/** Where each quadrant's centre is, as shares of the picture (top left origin). */
const CENTRES: Record<Quadrant, [number, number]> = { red: [0.25, 0.25], green: [0.75, 0.25], blue: [0.25, 0.75], white: [0.75, 0.75] };

/** A 200 x 160 photo: red top left, green top right, blue bottom left, white bottom right. */
async function quadrants(): Promise<Buffer> {
  const patch = (rgb: readonly number[]) =>
    sharp({ create: { width: 100, height: 80, channels: 3, background: { r: rgb[0]!, g: rgb[1]!, b: rgb[2]! } } })
      .png()
      .toBuffer();
  return sharp({ create: { width: 200, height: 160, channels: 3, background: '#000' } })
    .composite([
      { input: await patch(QUADRANTS.red), left: 0, top: 0 },
      { input: await patch(QUADRANTS.green), left: 100, top: 0 },
      { input: await patch(QUADRANTS.blue), left: 0, top: 80 },
      { input: await patch(QUADRANTS.white), left: 100, top: 80 },
    ])
    .png()
    .toBuffer();
}

const PARAMS = { width: 30, shapeBase: 'square', lithoMin: 0.8, lithoMax: 3, lithoFrame: 0 } as const;
let photo: Buffer;
let litho: ColourLithophane;

beforeAll(async () => {
  photo = await quadrants();
  litho = await buildColourLithophane(photo, PARAMS);
});

/** Each part's thickness (mm) at a quadrant's centre. */
function thicknessAt(quadrant: Quadrant): Record<string, number> {
  const [fx, fy] = CENTRES[quadrant];
  const i = Math.round(fy * (litho.rows - 1)) * litho.cols + Math.round(fx * (litho.cols - 1));
  return Object.fromEntries(litho.parts.map((part) => [part.filament, part.thickness[i]!]));
}

describe('colour lithophanes', () => {
  it('are four closed parts, cyan, magenta, yellow and white from the bed up, each on the one below', () => {
    expect(litho.parts.map((part) => part.filament)).toEqual(['cyan', 'magenta', 'yellow', 'white']);
    for (const part of litho.parts) {
      expect(shellCount(part.mesh)).toBe(1);
      const report = admesh(writeTemp(`${part.filament}.stl`, encodeStl(part.mesh)));
      expect(report.parts).toBe(1);
      expect([report.disconnectedFacets, report.degenerateFacets, report.edgesFixed, report.facetsReversed, report.backwardsEdges]).toEqual(
        [0, 0, 0, 0, 0],
      );
      expect(report.volume).toBeGreaterThan(0);
    }
    // The first half of a part's vertices is its top, the second its bottom: the next part's bottom is this top, exactly.
    const zOf = (positions: Float32Array, from: number, to: number) =>
      positions.filter((_, k) => k % 3 === 2 && k >= 3 * from && k < 3 * to);
    const count = litho.cols * litho.rows;
    expect(Math.max(...zOf(litho.parts[0]!.mesh.positions, count, 2 * count))).toBe(0);
    for (let f = 0; f + 1 < litho.parts.length; f++)
      expect(zOf(litho.parts[f]!.mesh.positions, 0, count)).toEqual(zOf(litho.parts[f + 1]!.mesh.positions, count, 2 * count));
  });

  it('makes each colour by stopping the others: red of magenta and yellow, green of cyan and yellow, blue of cyan and magenta; white only the one-layer minimum', () => {
    const layer = COLOUR_LAYER_HEIGHT;
    // A filament passes its own colour and stops its complement: cyan stops red, magenta green, yellow blue.
    const red = thicknessAt('red');
    expect(Math.min(red.magenta!, red.yellow!)).toBeGreaterThan(0.6);
    expect(red.cyan).toBeLessThanOrEqual(2 * layer + 1e-6);
    const green = thicknessAt('green');
    expect(Math.min(green.cyan!, green.yellow!)).toBeGreaterThan(0.6);
    expect(green.magenta).toBeLessThanOrEqual(3 * layer + 1e-6);
    const blue = thicknessAt('blue');
    expect(Math.min(blue.cyan!, blue.magenta!)).toBeGreaterThan(0.6);
    expect(blue.yellow).toBeLessThanOrEqual(2 * layer + 1e-6);
    const white = thicknessAt('white');
    expect([white.cyan, white.magenta, white.yellow]).toEqual([layer, layer, layer].map((mm) => expect.closeTo(mm, 6)));
    // The light's white part: thinnest where the photo is lightest.
    expect(white.white).toBeLessThan(Math.min(red.white!, green.white!, blue.white!));
    // Colour slabs are whole layers, at least one.
    for (const part of litho.parts.slice(0, 3)) {
      for (const mm of part.thickness) {
        expect(mm).toBeGreaterThanOrEqual(layer - 1e-6);
        expect(Math.abs(mm / layer - Math.round(mm / layer))).toBeLessThan(1e-4);
      }
    }
  });

  describe('as a task (format 3mf)', () => {
    let threemf: Buffer;
    beforeAll(async () => {
      const fields = createTaskFields.parse({ format: '5', relief_mode: 'lithophane', litho_color: '1', width: '30' });
      const output = await renderLithophane(photo, toTaskParams(fields));
      expect(output.mesh?.shells).toBe(4);
      threemf = output.bytes;
    });

    it('is one 3MF object whose four parts carry their filaments’ colours, as PrusaSlicer reads it', () => {
      const model = strFromU8(unzipSync(threemf)['3D/3dmodel.model']!);
      for (const filament of FILAMENTS) expect(model).toContain(`<base name="${filament.name}" displaycolor="${filament.display}"/>`);
      expect(readModelParts(threemf).map((part) => part.name)).toEqual(['cyan', 'magenta', 'yellow', 'white']);
      const path = writeTemp('colour.3mf', threemf);
      const info = slicerInfo(path);
      expect(info.parts).toBe(4);
      expect(info.manifold).toBe(true);
      expect(info.size[0]).toBeCloseTo(30, 3);
      expect(slice(path)).toMatch(/^G1 /m);
    }, 120_000);

    it('looks, back-lit, like the photo: each quadrant its own colour', () => {
      const image = backlit3mf(threemf, 120);
      const at = (quadrant: Quadrant) => {
        const [fx, fy] = CENTRES[quadrant];
        const i = 4 * (Math.floor(fy * image.height) * image.width + Math.floor(fx * image.width));
        return [image.rgba[i]!, image.rgba[i + 1]!, image.rgba[i + 2]!];
      };
      const [r, g, b] = at('red');
      expect(r).toBeGreaterThan(Math.max(g!, b!) + 80);
      const green = at('green');
      expect(green[1]).toBeGreaterThan(Math.max(green[0]!, green[2]!) + 80);
      const blue = at('blue');
      expect(blue[2]).toBeGreaterThan(Math.max(blue[0]!, blue[1]!) + 80);
      const white = at('white');
      expect(Math.min(...white)).toBeGreaterThan(200);
      expect(Math.max(...white) - Math.min(...white)).toBeLessThan(30);
    });
  });

  it('are refused as anything but a flat square 3MF lithophane, saying why', () => {
    const refusal = (fields: Record<string, string>) => {
      const result = createTaskFields.safeParse({ relief_mode: 'lithophane', format: '5', litho_color: '1', ...fields });
      return result.success ? undefined : `${String(result.error.issues[0]!.path[0])} ${result.error.issues[0]!.message}`;
    };
    expect(refusal({})).toBeUndefined();
    expect(refusal({ format: '3' })).toMatch(/^litho_color needs format 5/);
    expect(refusal({ litho_shape: 'arc', width: '100' })).toMatch(/^litho_color makes a flat plate/);
    expect(refusal({ shape_base: '1' })).toMatch(/^litho_color makes a rectangular plate/);
    expect(refusal({ relief_mode: 'relief' })).toMatch(/^litho_color only applies with relief_mode=lithophane/);
  });
});
