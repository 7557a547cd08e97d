// `depthmill generate` as a maker uses it: a folder of photos (one of them broken) in, one output
// per photo out, a summary, the exit status; then again (skips), and with --force; then through a
// server with the SDK.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exrHeader } from '../helpers/readers.js';
import { admesh } from '../relief/helpers.js';
import { BIN, cli, cliAsync, createClientCredentials, SHARED, startServer, tempDir, type TestServer } from '../helpers/server.js';

const PHOTOS = join(SHARED, 'eval/photos');

interface Report {
  format: string;
  summary: { total: number; written: number; skipped: number; failed: number; cancelled: number };
  files: { input: string; output: string; status: string; error?: string; task_id?: string }[];
}

/** A folder as a maker has it: two photos, one photo cut short in a transfer, and a note. */
function photoFolder(): string {
  const dir = tempDir('photos');
  copyFileSync(join(PHOTOS, 'opencv_apple.jpg'), join(dir, 'apple.jpg'));
  copyFileSync(join(PHOTOS, 'skimage_coffee.png'), join(dir, 'coffee.png'));
  writeFileSync(join(dir, 'broken.jpg'), readFileSync(join(PHOTOS, 'opencv_orange.jpg')).subarray(0, 3000));
  writeFileSync(join(dir, 'notes.txt'), 'not a photo');
  return dir;
}

/** Bounding box of a binary STL, in its units (mm). */
function stlBounds(path: string): { min: number[]; max: number[]; triangles: number } {
  const bytes = readFileSync(path);
  const triangles = bytes.readUInt32LE(80);
  expect(bytes.length).toBe(84 + 50 * triangles);
  const min = [Infinity, Infinity, Infinity];
  const max = [-Infinity, -Infinity, -Infinity];
  for (let t = 0; t < triangles; t++) {
    for (let v = 0; v < 3; v++) {
      for (let axis = 0; axis < 3; axis++) {
        const value = bytes.readFloatLE(84 + t * 50 + 12 + v * 12 + axis * 4);
        min[axis] = Math.min(min[axis]!, value);
        max[axis] = Math.max(max[axis]!, value);
      }
    }
  }
  return { min, max, triangles };
}

async function pngInfo(path: string) {
  const meta = await sharp(readFileSync(path)).metadata();
  return { format: meta.format, depth: meta.depth, width: meta.width, height: meta.height };
}

describe('depthmill generate, locally (no server)', () => {
  it('makes one depth map per photo, reports the broken one, skips existing outputs and redoes them with --force', async () => {
    const dir = photoFolder();
    const out = join(tempDir('out'), 'maps');
    const data = tempDir('cli-data');
    const args = ['generate', dir, '-f', 'png', '--out-dir', out, '--model-type', 'base', '--no-rmbg'];

    const first = cli(data, args);
    expect(first.status, first.stderr).toBe(1);
    expect(readdirSync(out).sort()).toEqual(['apple.depth.png', 'coffee.depth.png']); // nothing for the broken file, no leftovers
    expect(await pngInfo(join(out, 'apple.depth.png'))).toEqual({ format: 'png', depth: 'ushort', width: 1024, height: 1024 });
    expect(await pngInfo(join(out, 'coffee.depth.png'))).toEqual({ format: 'png', depth: 'ushort', width: 1024, height: 683 });
    expect(first.stdout).toMatch(/ok\s+\S*apple\.jpg -> \S*apple\.depth\.png/);
    expect(first.stdout).toMatch(/FAILED\s+\S*broken\.jpg: the image could not be decoded/);
    expect(first.stdout).toMatch(/^2 written, 0 skipped, 1 failed \(3 files in [\d.]+ s\)$/m);
    expect(first.stdout).toMatch(/failed: \S*broken\.jpg: the image could not be decoded/);
    expect(first.stdout).not.toMatch(/notes\.txt/);

    // Again: the outputs exist, so nothing is redone; a damaged output stays as it is.
    writeFileSync(join(out, 'apple.depth.png'), 'damaged');
    const coffee = readFileSync(join(out, 'coffee.depth.png'));
    const second = cli(data, [...args, '--json']);
    expect(second.status).toBe(1);
    const report = JSON.parse(second.stdout) as Report;
    expect(report.summary).toEqual({ total: 3, written: 0, skipped: 2, failed: 1, cancelled: 0 });
    expect(Object.fromEntries(report.files.map((file) => [file.input.split('/').pop(), file.status]))).toEqual({ 'apple.jpg': 'skipped', 'broken.jpg': 'failed', 'coffee.png': 'skipped' });
    expect(report.files.find((file) => file.status === 'failed')?.error).toMatch(/could not be decoded/);
    expect(readFileSync(join(out, 'apple.depth.png'), 'utf8')).toBe('damaged');
    expect(readFileSync(join(out, 'coffee.depth.png')).equals(coffee)).toBe(true);
    expect(second.stderr).toMatch(/skipped\s+\S*apple\.jpg/); // progress lines go to stderr with --json

    // --force makes them again.
    const third = cli(data, [...args, '--force', '--json']);
    expect(third.status).toBe(1);
    expect((JSON.parse(third.stdout) as Report).summary).toMatchObject({ written: 2, skipped: 0, failed: 1 });
    expect(await pngInfo(join(out, 'apple.depth.png'))).toMatchObject({ format: 'png', width: 1024 });

    // Only good photos: exit status 0.
    const good = cli(data, ['generate', join(dir, 'apple.jpg'), join(dir, 'coffee.png'), '-f', 'png', '--out-dir', out, '--model-type', 'base', '--no-rmbg']);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^0 written, 2 skipped, 0 failed/m);
  });

  it('turns a folder of photos into STL reliefs sized by the relief options', () => {
    const dir = tempDir('maker');
    copyFileSync(join(PHOTOS, 'opencv_apple.jpg'), join(dir, 'apple.jpg')); // 512 × 512
    copyFileSync(join(PHOTOS, 'skimage_coffee.png'), join(dir, 'coffee.png')); // 600 × 400
    const out = join(tempDir('stl'), 'reliefs');
    const relief = ['--width', '80', '--height-relief', '3', '--thickness-base', '2'];
    const result = cli(tempDir('cli-data'), ['generate', dir, '-f', 'stl', '--out-dir', out, '--model-type', 'base', '--no-rmbg', ...relief]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^2 written, 0 skipped, 0 failed/m);
    expect(readdirSync(out).sort()).toEqual(['apple.stl', 'coffee.stl']);
    for (const [name, aspect] of [['apple.stl', 1], ['coffee.stl', 400 / 600]] as const) {
      const path = join(out, name);
      const report = admesh(path);
      expect([report.parts, report.edgesFixed, report.backwardsEdges, report.facetsReversed], name).toEqual([1, 0, 0, 0]);
      const { min, max } = stlBounds(path);
      expect(max[0]! - min[0]!, name).toBeCloseTo(80, 1); // --width
      expect((max[1]! - min[1]!) / 80, name).toBeCloseTo(aspect, 2);
      expect(min[2], name).toBeCloseTo(0, 3);
      expect(max[2], name).toBeCloseTo(5, 1); // --thickness-base + --height-relief
    }
  });

  it('writes one file with -o, taking the format from its name, and expands quoted patterns', async () => {
    const dir = photoFolder();
    const target = join(tempDir('one'), 'nested', 'apple-depth.exr');
    const result = cli(tempDir('cli-data'), ['generate', join(dir, 'a*.jpg'), '-o', target, '--model-type', 'base']);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^1 written, 0 skipped, 0 failed/m);
    const header = exrHeader(readFileSync(target));
    expect(header).toMatch(/Y, 32-bit floating-point/);
    expect(header).toMatch(/A, 32-bit floating-point/); // rmbg defaults to on, as in the API
    expect(header).toMatch(/dataWindow \(type box2i\): \(0 0\) - \(1023 1023\)/);
  });

  it('draws a progress bar over the batch on a terminal', () => {
    const dir = photoFolder();
    const out = tempDir('tty');
    // util-linux `script` runs the command on a pseudo-terminal, as a user's shell would.
    const command = [process.execPath, BIN, 'generate', dir, '-f', 'bmp', '--out-dir', out, '--model-type', 'base', '--no-rmbg'].join(' ');
    const result = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, COLUMNS: '160' } });
    expect(result.status, result.stderr).toBe(1); // the broken photo
    const screen = result.stdout.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;?]*[A-Za-z]`, 'g'), ''); // terminal control sequences
    expect(screen).toMatch(/█+ 3\/3 files \| 1 failed/);
    expect(screen).toMatch(/FAILED \S*broken\.jpg: the image could not be decoded/);
    expect(screen).toMatch(/2 written, 0 skipped, 1 failed/);
    expect(screen).not.toMatch(/\[1\/3\] /); // no per-file log lines on a terminal
    expect(readdirSync(out).sort()).toEqual(['apple.depth.bmp', 'coffee.depth.bmp']);
  });

  it('refuses bad options before doing any work, naming the option and what it accepts', () => {
    const dir = photoFolder();
    const data = tempDir('cli-data');
    const cases: [string[], RegExp][] = [
      [['--width', '5'], /--width must be a number from 20 to 600 \(got "5"\)/],
      [['--degree-rmbg', 'lots'], /--degree-rmbg must be a number from 0 to 1/],
      [['-f', 'jpg'], /argument 'jpg' is invalid.*exr, png, bmp, stl, glb, 3mf/],
      [['-o', join(dir, 'x.png'), '-f', 'exr'], /ends in \.png but --format is exr/],
      [['--server', 'http://127.0.0.1:9'], /needs client credentials: set DEPTHMILL_CLIENT_ID/],
    ];
    for (const [extra, message] of cases) {
      const result = cli(data, ['generate', join(dir, 'apple.jpg'), ...extra]);
      expect(result.status, extra.join(' ')).not.toBe(0);
      expect(result.stderr, extra.join(' ')).toMatch(message);
    }
    const missing = cli(data, ['generate', join(dir, 'nope.jpg'), join(dir, '*.gif')]);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toMatch(/nope\.jpg: no such file or folder/);
    expect(missing.stderr).toMatch(/\*\.gif: no photo matches this pattern/);
    expect(readdirSync(dir).sort()).toEqual(['apple.jpg', 'broken.jpg', 'coffee.png', 'notes.txt']);

    const help = cli(data, ['generate', '--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/--height-relief <mm>\s+relief height, meshes only \(0\.1 to 50, default 1\.3\)/);
    expect(help.stdout).toMatch(/--server <url>/);
  });
});

describe('depthmill generate --server', () => {
  let server: TestServer;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = await startServer();
    const { clientId, clientSecret } = createClientCredentials(server.dataDir, 'cli');
    env = { DEPTHMILL_CLIENT_ID: clientId, DEPTHMILL_CLIENT_SECRET: clientSecret };
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('sends the batch to the server, with the same outputs as local mode, and reports the broken file', async () => {
    const dir = photoFolder();
    const remote = tempDir('remote');
    const local = tempDir('local');
    const options = ['-f', 'png', '--model-type', 'base', '--no-rmbg'];

    const result = await cliAsync(['generate', dir, ...options, '--out-dir', remote, '--server', server.url, '--json'], env);
    expect(result.status, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.summary).toEqual({ total: 3, written: 2, skipped: 0, failed: 1, cancelled: 0 });
    for (const file of report.files.filter((entry) => entry.status === 'written')) expect(file.task_id).toMatch(/^depth_\d{8}_[0-9a-f]{12}$/);
    expect(report.files.find((file) => file.status === 'failed')?.error).toMatch(/generate failed: the image could not be decoded/);
    expect(readdirSync(remote).sort()).toEqual(['apple.depth.png', 'coffee.depth.png']);

    // The server's workers and the command line run the same code: the same pixels come out.
    const offline = await cliAsync(['generate', join(dir, 'apple.jpg'), join(dir, 'coffee.png'), ...options, '--out-dir', local]);
    expect(offline.status, offline.stderr).toBe(0);
    for (const name of ['apple.depth.png', 'coffee.depth.png']) {
      const [a, b] = await Promise.all([remote, local].map((folder) => sharp(join(folder, name)).raw({ depth: 'ushort' }).toBuffer()));
      expect(a!.equals(b!), name).toBe(true);
    }
  });

  it('stops at once with a clear message when the credentials are wrong', async () => {
    const dir = photoFolder();
    const out = tempDir('refused');
    mkdirSync(out, { recursive: true });
    const result = await cliAsync(['generate', dir, '--out-dir', out, '--server', server.url], { ...env, DEPTHMILL_CLIENT_SECRET: 'wrong' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/client credentials are invalid/);
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(join(dir, 'apple.depth.png'))).toBe(false);
  });
});
