// Pictures for judging by eye: a shaded render of a depth map as a height field, and contact
// sheets (rows of panels: input, mask, depth, shaded relief), composed with sharp.
import sharp, { type OverlayOptions } from 'sharp';
import { resizeArea, resizeBilinear } from '../../src/raster/resize.js';
import type { FloatPlane } from '../../src/raster/plane.js';

export interface Panel {
  width: number;
  height: number;
  /** RGB, 3 bytes per pixel. */
  rgb: Uint8Array;
}

function fit(plane: FloatPlane, width: number, height: number): Float32Array {
  return plane.width >= width ? resizeArea(plane, width, height).data : resizeBilinear(plane, width, height).data;
}

/** Grey panel of a 0..1 plane (near = white). */
export function greyPanel(plane: FloatPlane, width: number, height: number): Panel {
  const v = fit(plane, width, height);
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < v.length; i++) rgb.fill(Math.round(Math.min(1, Math.max(0, v[i]!)) * 255), i * 3, i * 3 + 3);
  return { width, height, rgb };
}

/**
 * Lambertian shading of depth (0..1, near 1) as a height field whose full range is `relief` times
 * the panel's width (as a printed relief would be), lit from the upper left. Background (alpha 0)
 * is a flat dark grey.
 */
export function shadedPanel(depth: FloatPlane, alpha: FloatPlane | undefined, width: number, height: number, relief = 0.25): Panel {
  const z = fit(depth, width, height);
  const a = alpha ? fit(alpha, width, height) : undefined;
  const scale = relief * width;
  const light = [-0.5, -0.6, 0.62];
  const norm = Math.hypot(light[0]!, light[1]!, light[2]!);
  const [lx, ly, lz] = light.map((c) => c / norm) as [number, number, number];
  const rgb = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = y * width + x;
      if (a && a[i]! < 0.5) {
        rgb.fill(40, i * 3, i * 3 + 3);
        continue;
      }
      const xl = Math.max(x - 1, 0);
      const xr = Math.min(x + 1, width - 1);
      const yu = Math.max(y - 1, 0);
      const yd = Math.min(y + 1, height - 1);
      const dx = ((z[y * width + xr]! - z[y * width + xl]!) * scale) / (xr - xl || 1);
      const dy = ((z[yd * width + x]! - z[yu * width + x]!) * scale) / (yd - yu || 1);
      const len = Math.hypot(dx, dy, 1);
      const lambert = Math.max(0, (-dx * lx - dy * ly + lz) / len);
      const v = Math.round(255 * Math.min(1, 0.12 + 0.88 * lambert));
      rgb[i * 3] = v;
      rgb[i * 3 + 1] = Math.round(v * 0.97);
      rgb[i * 3 + 2] = Math.round(v * 0.9);
    }
  }
  return { width, height, rgb };
}

/** An RGB photo panel. */
export async function photoPanel(rgb: Uint8Array, w: number, h: number, width: number, height: number): Promise<Panel> {
  const data = await sharp(rgb, { raw: { width: w, height: h, channels: 3 } })
    .resize(width, height, { fit: 'fill' })
    .raw()
    .toBuffer();
  return { width, height, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length) };
}

/** A plain panel (e.g. "no mask"). */
export function blankPanel(width: number, height: number, value = 60): Panel {
  return { width, height, rgb: new Uint8Array(width * height * 3).fill(value) };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** Rows of equally sized panels with a label above each row, as one PNG. */
export async function contactSheet(rows: { label: string; panels: Panel[] }[], title: string, palette = false): Promise<Buffer> {
  const gap = 6;
  const labelHeight = 22;
  const titleHeight = 28;
  const width = Math.max(...rows.map((r) => r.panels.reduce((w, p) => w + p.width + gap, gap)));
  let height = titleHeight;
  const composites: OverlayOptions[] = [];
  const texts: string[] = [`<text x="${gap}" y="20" font-size="16" font-family="sans-serif" fill="#fff">${escapeXml(title)}</text>`];
  for (const row of rows) {
    texts.push(`<text x="${gap}" y="${height + 16}" font-size="14" font-family="sans-serif" fill="#ddd">${escapeXml(row.label)}</text>`);
    height += labelHeight;
    let x = gap;
    for (const panel of row.panels) {
      const input = await sharp(panel.rgb, { raw: { width: panel.width, height: panel.height, channels: 3 } })
        .png()
        .toBuffer();
      composites.push({ input, left: x, top: height });
      x += panel.width + gap;
    }
    height += Math.max(...row.panels.map((p) => p.height)) + gap;
  }
  const svg = Buffer.from(`<svg width="${width}" height="${height}" xmlns="http://www.w3.org/2000/svg">${texts.join('')}</svg>`);
  composites.unshift({ input: svg, left: 0, top: 0 });
  const sheet = await sharp({ create: { width, height, channels: 3, background: '#202020' } })
    .composite(composites)
    .png()
    .toBuffer();
  // A second pass: composite() output cannot be palettised in the same pipeline.
  return sharp(sheet).png({ compressionLevel: 9, adaptiveFiltering: true, palette }).toBuffer();
}

/** A width x height crop of a plane around its centre (clamped inside), at native resolution. */
export function centreCrop(plane: FloatPlane, width: number, height: number, cx = 0.5, cy = 0.5): FloatPlane {
  const w = Math.min(width, plane.width);
  const h = Math.min(height, plane.height);
  const x0 = Math.min(Math.max(Math.round(cx * plane.width - w / 2), 0), plane.width - w);
  const y0 = Math.min(Math.max(Math.round(cy * plane.height - h / 2), 0), plane.height - h);
  const data = new Float32Array(w * h);
  for (let y = 0; y < h; y++) data.set(plane.data.subarray((y0 + y) * plane.width + x0, (y0 + y) * plane.width + x0 + w), y * w);
  return { width: w, height: h, data };
}

/**
 * The photo with what a mask removes dimmed and tinted red (alpha < 0.5), so a lost part of the
 * subject or a kept piece of background shows at a glance.
 */
export function overlayPanel(photo: Panel, alpha: FloatPlane): Panel {
  const a = fit(alpha, photo.width, photo.height);
  const rgb = new Uint8Array(photo.rgb);
  for (let i = 0; i < a.length; i++) {
    const keep = Math.min(1, Math.max(0, a[i]!));
    const dim = 0.25 + 0.75 * keep;
    rgb[i * 3] = Math.round(photo.rgb[i * 3]! * dim + (1 - keep) * 110);
    rgb[i * 3 + 1] = Math.round(photo.rgb[i * 3 + 1]! * dim);
    rgb[i * 3 + 2] = Math.round(photo.rgb[i * 3 + 2]! * dim);
  }
  return { width: photo.width, height: photo.height, rgb };
}
