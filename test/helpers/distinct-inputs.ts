// Inputs that can be told apart by their results: image i is 300 + 7i px wide and 200 high, so
// its base output (long side 1024) has a height of its own. A result in the wrong task shows.
import { download, waitForTask } from './api.js';

export function expectedHeight(i: number): number {
  return Math.round((1024 * 200) / (300 + 7 * i));
}

/** A PNG of image i (a cheap gradient pattern; content does not matter, the size does). */
export async function inputImage(i: number): Promise<Buffer> {
  const { default: sharp } = await import('sharp');
  const width = 300 + 7 * i;
  const pixels = Buffer.alloc(width * 200 * 3);
  for (let y = 0; y < 200; y++) for (let x = 0; x < width; x++) pixels.set([x % 256, y, (x * y) % 256], (y * width + x) * 3);
  return sharp(pixels, { raw: { width, height: 200, channels: 3 } })
    .png()
    .toBuffer();
}

/** Width and height from a BMP header (height negative for top-down rows). */
export function bmpSize(bytes: Buffer): [number, number] {
  return [bytes.readInt32LE(18), Math.abs(bytes.readInt32LE(22))];
}

export interface Audit {
  lost: number;
  mixed: number;
  missingCallbacks: number;
  repeatedCallbacks: number;
}

/**
 * What a fault test reports: tasks that did not succeed (lost), results of the wrong input
 * (mixed, by image size: see expectedHeight), and, after waiting up to a minute for them, tasks
 * with no callback (missing) or more than one (repeated).
 */
export async function auditTasks(
  baseUrl: string,
  tokenOf: (i: number) => string,
  ids: string[],
  callbacks: Map<string, unknown[]>,
  timeoutMs = 240_000,
): Promise<Audit> {
  let lost = 0;
  let mixed = 0;
  for (const [i, id] of ids.entries()) {
    const done = await waitForTask(baseUrl, tokenOf(i), id, timeoutMs);
    if (done.body.data.state !== 'success') {
      lost++;
      continue;
    }
    const [width, height] = bmpSize((await download(done.body.data.url!)).bytes);
    if (width !== 1024 || height !== expectedHeight(i)) mixed++;
  }
  for (let waited = 0; ids.some((id) => !callbacks.has(id)) && waited < 60_000; waited += 100)
    await new Promise((resolve) => setTimeout(resolve, 100));
  const missingCallbacks = ids.filter((id) => !callbacks.has(id)).length;
  const repeatedCallbacks = ids.reduce((sum, id) => sum + Math.max(0, (callbacks.get(id)?.length ?? 0) - 1), 0);
  return { lost, mixed, missingCallbacks, repeatedCallbacks };
}
