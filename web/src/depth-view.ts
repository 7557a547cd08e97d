// The depth map on screen: the downloaded PNG as it is (gray), or recoloured (viridis, turbo), laid
// over the photo with a before/after split.
import { colormapTable, type Colormap } from './colormaps.js';

/** The depth map's pixels (8 bits are plenty on screen), for recolouring and the 3D preview. */
export interface DepthPixels {
  width: number;
  height: number;
  /** RGBA, row-major; R = depth (near 255), A = 0 where the background was removed. */
  data: Uint8ClampedArray;
}

export async function decodeDepth(blob: Blob): Promise<{ bitmap: ImageBitmap; pixels: DepthPixels }> {
  const bitmap = await createImageBitmap(blob, { colorSpaceConversion: 'none', premultiplyAlpha: 'none' });
  const canvas = document.createElement('canvas');
  canvas.width = bitmap.width;
  canvas.height = bitmap.height;
  const context = canvas.getContext('2d', { willReadFrequently: true })!;
  context.drawImage(bitmap, 0, 0);
  const { data } = context.getImageData(0, 0, bitmap.width, bitmap.height);
  return { bitmap, pixels: { width: bitmap.width, height: bitmap.height, data } };
}

export class DepthView {
  private original: string | undefined;
  private coloured: string | undefined;
  private pixels: DepthPixels | undefined;
  private colormap: Colormap = 'gray';
  private version = 0;

  constructor(
    private readonly image: HTMLImageElement,
    private readonly photo: HTMLImageElement,
    private readonly compare: HTMLElement,
  ) {}

  /** Shows a new result: the photo and its depth map (PNG blob). */
  async show(photo: Blob, depth: Blob, pixels: DepthPixels): Promise<void> {
    if (this.photo.src.startsWith('blob:')) URL.revokeObjectURL(this.photo.src);
    this.photo.src = URL.createObjectURL(photo);
    if (this.original) URL.revokeObjectURL(this.original);
    this.original = URL.createObjectURL(depth);
    this.pixels = pixels;
    await this.setColormap(this.colormap);
  }

  async setColormap(name: Colormap): Promise<void> {
    this.colormap = name;
    const version = ++this.version; // a quicker later click wins over a slower earlier one
    if (!this.pixels || !this.original) return;
    const next = name === 'gray' ? undefined : await recolour(this.pixels, name);
    if (version !== this.version) {
      if (next) URL.revokeObjectURL(next);
      return;
    }
    if (this.coloured) URL.revokeObjectURL(this.coloured);
    this.coloured = next;
    this.image.src = next ?? this.original;
    await this.image.decode().catch(() => undefined);
  }

  /** 0..100: the share of the width that shows the photo (left); the depth map shows right of it. */
  setSplit(percent: number): void {
    this.compare.style.setProperty('--split', `${percent}%`);
  }
}

async function recolour(pixels: DepthPixels, name: Colormap): Promise<string> {
  const table = colormapTable(name);
  const out = new ImageData(pixels.width, pixels.height);
  const source = pixels.data;
  for (let i = 0; i < source.length; i += 4) {
    const v = source[i]! * 3;
    out.data[i] = table[v]!;
    out.data[i + 1] = table[v + 1]!;
    out.data[i + 2] = table[v + 2]!;
    out.data[i + 3] = source[i + 3]!;
  }
  return URL.createObjectURL(await encodePng(out));
}

/**
 * ImageData to a PNG blob. OffscreenCanvas first: Chromium encodes canvas.toBlob in idle time,
 * which a busy or background tab may not get for a long while.
 */
async function encodePng(image: ImageData): Promise<Blob> {
  if (typeof OffscreenCanvas !== 'undefined') {
    const canvas = new OffscreenCanvas(image.width, image.height);
    canvas.getContext('2d')!.putImageData(image, 0, 0);
    return canvas.convertToBlob({ type: 'image/png' });
  }
  const canvas = document.createElement('canvas');
  canvas.width = image.width;
  canvas.height = image.height;
  canvas.getContext('2d')!.putImageData(image, 0, 0);
  return new Promise<Blob>((resolve, reject) =>
    canvas.toBlob((value) => (value ? resolve(value) : reject(new Error('could not encode the colour map'))), 'image/png'),
  );
}
