// Inputs that can be told apart by their results: image i is 300 + 7i px wide and 200 high, so
// its base output (long side 1024) has a height of its own. A result in the wrong task shows.

export function expectedHeight(i: number): number {
  return Math.round((1024 * 200) / (300 + 7 * i));
}

/** A PNG of image i (a cheap gradient pattern; content does not matter, the size does). */
export async function inputImage(i: number): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const width = 300 + 7 * i;
  const pixels = Buffer.alloc(width * 200 * 3);
  for (let y = 0; y < 200; y++) for (let x = 0; x < width; x++) pixels.set([x % 256, y, (x * y) % 256], (y * width + x) * 3);
  return sharp(pixels, { raw: { width, height: 200, channels: 3 } }).png().toBuffer();
}

/** Width and height from a BMP header (height negative for top-down rows). */
export function bmpSize(bytes: Buffer): [number, number] {
  return [bytes.readInt32LE(18), Math.abs(bytes.readInt32LE(22))];
}
