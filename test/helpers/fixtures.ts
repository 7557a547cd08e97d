// The test data, all inside the repository (test/fixtures/README.md says where each file comes
// from and under which licence): a few photos, the FastDepth golden reference, the evaluation's
// index. What can be made is made here instead: photos with an exact ground-truth matte, built from
// the fixture photos (a subject cut out along a circle and laid on a backdrop), so the mask tests
// know the true outline without a research-only matting set.
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';

export const FIXTURES = resolve(import.meta.dirname, '../fixtures');

/** A file under test/fixtures/ (e.g. 'eval/pairs.csv'). */
export function fixture(path: string): string {
  return join(FIXTURES, path);
}

/** A photo of test/fixtures/photos/ (e.g. 'opencv_apple.jpg', 512 × 512). */
export function photo(name: string): string {
  return join(FIXTURES, 'photos', name);
}

/** A photo's bytes. */
export function readPhoto(name: string): Buffer {
  return readFileSync(photo(name));
}

/** The FastDepth golden reference (test/fixtures/golden/fastdepth/NAME.gz, the authors' bytes): 'rgb.npy', 'pred.npy', 'depth.npy'. */
export function readGolden(name: 'rgb.npy' | 'pred.npy' | 'depth.npy'): Buffer {
  return gunzipSync(readFileSync(join(FIXTURES, 'golden/fastdepth', `${name}.gz`)));
}

/** A photo with its true matte: PNG bytes of both (the matte grey, 255 = subject), and their size. */
export interface MattedPhoto {
  image: Buffer;
  matte: Buffer;
  width: number;
  height: number;
}

/** A square crop of a fixture photo cut along its inscribed circle (RGBA PNG), scaled to `size`. */
export async function discCut(name: string, crop: { left: number; top: number; side: number }, size = crop.side): Promise<Buffer> {
  const r = crop.side / 2;
  const circle = Buffer.from(`<svg width="${crop.side}" height="${crop.side}"><circle cx="${r}" cy="${r}" r="${r}" fill="#fff"/></svg>`);
  const cut = await sharp(photo(name))
    .extract({ left: crop.left, top: crop.top, width: crop.side, height: crop.side })
    .ensureAlpha()
    .composite([{ input: circle, blend: 'dest-in' }])
    .png()
    .toBuffer();
  return size === crop.side ? cut : sharp(cut).resize(size, size).png().toBuffer();
}

/** Cut-outs (RGBA PNGs) laid on a backdrop: the picture, and the matte their alpha makes. */
export async function compose(backdrop: Buffer, parts: { input: Buffer; left: number; top: number }[]): Promise<MattedPhoto> {
  const { width, height } = await sharp(backdrop).metadata();
  const image = await sharp(backdrop).removeAlpha().composite(parts).png().toBuffer();
  const alphas = await Promise.all(
    parts.map(async (p) => ({ ...p, input: await sharp(p.input).extractChannel(3).toColourspace('b-w').png().toBuffer() })),
  );
  const matte = await sharp({ create: { width: width!, height: height!, channels: 3, background: '#000' } })
    .composite(alphas.map((a) => ({ ...a, blend: 'lighten' as const })))
    .removeAlpha()
    .toColourspace('b-w')
    .png()
    .toBuffer();
  return { image, matte, width: width!, height: height! };
}

/** The apple of opencv_apple.jpg, cut along a circle round its body. */
export const apple = (size: number): Promise<Buffer> => discCut('opencv_apple.jpg', { left: 16, top: 40, side: 440 }, size);
/** The cup and saucer of skimage_coffee.png, cut along a circle. */
export const cup = (size: number): Promise<Buffer> => discCut('skimage_coffee.png', { left: 150, top: 50, side: 300 }, size);

/** A plain beige backdrop. */
export function plain(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#d9d2c3' } })
    .png()
    .toBuffer();
}

/**
 * Two subjects on a plain backdrop, 800 × 560: the apple on the left (x 40..360), the cup on the
 * right (x 460..760). A subject box over the left half holds the apple only.
 */
export async function twoSubjects(): Promise<MattedPhoto> {
  return compose(await plain(800, 560), [
    { input: await apple(320), left: 40, top: 120 },
    { input: await cup(300), left: 460, top: 130 },
  ]);
}
