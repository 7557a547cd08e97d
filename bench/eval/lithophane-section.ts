// The lithophane section of `npm run eval` (--only lithophane): how a plain and a colour lithophane
// of each photo look held against a light, simulated from the 3MF the API makes (the SDK's
// backlit3mf, the web UI's preview). Per photo: how far the colour lithophane's back-lit hues follow
// the photo's (Pearson correlation of the two opponent channels, red-green and yellow-blue, over
// the picture; 1 is a perfect match, a plain lithophane has none), its triangles, build and encode
// time and file size. Contact sheets: lithophane-<photo>.png, photo | plain back-lit | colour back-lit.
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { backlit3mf, type RgbaImage } from '@depthmill/client/backlight';
import { createTaskFields, toTaskParams } from '../../src/contract/create-task-schema.js';
import { renderLithophane } from '../../src/render.js';
import { photoName } from './dataset.js';
import { pearson } from './stats.js';
import { contactSheet, type Panel } from './render.js';

/** The plate: 80 mm wide, the API's lithophane defaults otherwise. */
const FIELDS = { format: '5', relief_mode: 'lithophane', width: '80' };
const PANEL_LONG_SIDE = 360;

interface LithophaneScore {
  photo: string;
  /** Correlation of the red-green and the yellow-blue opponent channels, photo against colour back-lit. */
  redGreen: number;
  yellowBlue: number;
  triangles: number;
  ms: number;
  megabytes: number;
}

/** An RGBA picture over the sheet's dark grey, as an RGB panel. */
function panelOf(image: RgbaImage): Panel {
  const rgb = new Uint8Array(image.width * image.height * 3).fill(32);
  for (let i = 0; i < image.width * image.height; i++) if (image.rgba[4 * i + 3]) rgb.set(image.rgba.subarray(4 * i, 4 * i + 3), 3 * i);
  return { width: image.width, height: image.height, rgb };
}

/** The two opponent channels of an RGB(A) raster: R - G and (R + G) / 2 - B. */
function opponents(pixels: ArrayLike<number>, channels: number, count: number): [Float64Array, Float64Array] {
  const redGreen = new Float64Array(count);
  const yellowBlue = new Float64Array(count);
  for (let i = 0; i < count; i++) {
    const [r, g, b] = [pixels[channels * i]!, pixels[channels * i + 1]!, pixels[channels * i + 2]!];
    redGreen[i] = r - g;
    yellowBlue[i] = (r + g) / 2 - b;
  }
  return [redGreen, yellowBlue];
}

export async function evaluateLithophanes(photos: string[], outDir: string, sheets: boolean): Promise<{ report: string; rows: object[] }> {
  const scores: LithophaneScore[] = [];
  for (const path of photos) {
    const bytes = readFileSync(path);
    const name = photoName(path);
    const plain = await renderLithophane(bytes, toTaskParams(createTaskFields.parse(FIELDS)));
    const start = performance.now();
    const colour = await renderLithophane(bytes, toTaskParams(createTaskFields.parse({ ...FIELDS, litho_color: '1' })));
    const ms = performance.now() - start;
    const plainLit = backlit3mf(plain.bytes, PANEL_LONG_SIDE);
    const colourLit = backlit3mf(colour.bytes, PANEL_LONG_SIDE);
    // The photo on the back-lit picture's grid (a lithophane is the whole photo, square).
    const photoRgb = await sharp(bytes).rotate().removeAlpha().resize(colourLit.width, colourLit.height, { fit: 'fill' }).raw().toBuffer();
    const count = colourLit.width * colourLit.height;
    const [photoRg, photoYb] = opponents(photoRgb, 3, count);
    const [litRg, litYb] = opponents(colourLit.rgba, 4, count);
    scores.push({
      photo: name,
      redGreen: pearson(photoRg, litRg),
      yellowBlue: pearson(photoYb, litYb),
      triangles: colour.mesh?.triangles ?? 0,
      ms,
      megabytes: colour.bytes.length / 1e6,
    });
    if (sheets) {
      const photoPanel: Panel = { width: colourLit.width, height: colourLit.height, rgb: new Uint8Array(photoRgb) };
      const sheet = await contactSheet(
        [
          {
            label: 'photo | plain lithophane, back-lit | colour lithophane (cyan, magenta, yellow, white), back-lit',
            panels: [photoPanel, panelOf(plainLit), panelOf(colourLit)],
          },
        ],
        `${name}: 80 mm lithophanes, simulated with a white light behind (docs/colour-lithophanes.md)`,
      );
      await writeFile(join(outDir, `lithophane-${name}.png`), sheet);
    }
    process.stderr.write(`  lithophane: ${name}\n`);
  }
  const f = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : '–');
  let report = '## Colour lithophanes, back-lit\n\n';
  report +=
    '80 mm, the API defaults; the colour lithophane simulated back-lit against the photo: correlation of the opponent channels.\n\n';
  report +=
    '| photo | red-green r ↑ | yellow-blue r ↑ | triangles | build + 3MF ms | 3MF MB |\n| --- | ---: | ---: | ---: | ---: | ---: |\n';
  for (const s of scores)
    report += `| ${s.photo} | ${f(s.redGreen, 3)} | ${f(s.yellowBlue, 3)} | ${s.triangles.toLocaleString('en')} | ${f(s.ms, 0)} | ${f(s.megabytes, 1)} |\n`;
  return { report: `${report}\n`, rows: scores.map((s) => ({ section: 'lithophane', ...s })) };
}
