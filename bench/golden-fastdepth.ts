// Remakes test/fixtures/golden/fastdepth/ (`npm run fixtures:golden`): the FastDepth authors' own
// reference input and prediction, which test/pipeline/golden.unit.test.ts checks the bundled model
// against. They are the authors' outputs (their PyTorch model), not ours, so "regenerating" them
// means taking them again from the authors' repository at the pinned commit, checking each file's
// SHA-256, and storing it gzipped (byte for byte inside the gzip). With a folder argument the files
// are read from there instead of GitHub (e.g. a checkout of dwofk/fast-depth's deploy/data).
//
//   npm run fixtures:golden [-- /path/to/fast-depth/deploy/data]
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';

const COMMIT = '0138ea8d7aeaf8fb1f5b0d9da17e62336867bcbd';
const SOURCE = `https://raw.githubusercontent.com/dwofk/fast-depth/${COMMIT}/deploy/data`;
/** The files the tests read, with the SHA-256 of the authors' bytes. */
const FILES: Record<string, string> = {
  'rgb.npy': '3900c32d0e0e98b59273d0bbc65cbcf38b74ac997debdaaade2d33b0f4065e05',
  'pred.npy': '89549635b846edcf554d3002605145001ad95e9fab9328b46d3c132e418eec8f',
  'depth.npy': 'b8f745c458a869b418e5ee0e913fdc94aa0fa06021fa743e994f65bf9de66a29',
};
const OUT = resolve(import.meta.dirname, '../test/fixtures/golden/fastdepth');

async function read(name: string, folder: string | undefined): Promise<Buffer> {
  if (folder) return readFileSync(join(folder, name));
  const response = await fetch(`${SOURCE}/${name}`);
  if (!response.ok) throw new Error(`${SOURCE}/${name}: HTTP ${response.status}`);
  return Buffer.from(await response.arrayBuffer());
}

const folder = process.argv.slice(2).find((arg) => arg !== '--');
mkdirSync(OUT, { recursive: true });
for (const [name, sha256] of Object.entries(FILES)) {
  const bytes = await read(name, folder);
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== sha256) throw new Error(`${name}: SHA-256 ${actual}, expected ${sha256} (dwofk/fast-depth@${COMMIT.slice(0, 8)})`);
  // Level 9 and no file name or time in the header: the same bytes at every run.
  writeFileSync(join(OUT, `${name}.gz`), gzipSync(bytes, { level: 9 }));
  console.log(`${name}: ${bytes.length} bytes, SHA-256 ok -> ${join(OUT, `${name}.gz`)}`);
}
