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
import { BIN, cli, cliAsync, createClientCredentials, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { FIXTURES, twoSubjects } from '../helpers/fixtures.js';

const PHOTOS = join(FIXTURES, 'photos');
// A photo (800 × 560: an apple left, a cup right) and its true matte (255 = subject), made from the fixture photos.
const MATTED = join(tempDir('matted'), 'pair.png');
let MATTE: Buffer;
beforeAll(async () => {
  const made = await twoSubjects();
  writeFileSync(MATTED, made.image);
  MATTE = made.matte;
});
/** base: the output size of the matted photo. */
const MATTED_BASE = { width: 1024, height: Math.round((1024 * 560) / 800) };

/** The matte as a black and white mask at the base output size, written to a file. */
async function cutMatteFile(): Promise<string> {
  const path = join(tempDir('mask'), 'pair.mask.png');
  await sharp(MATTE)
    .extractChannel(0)
    .resize(MATTED_BASE.width, MATTED_BASE.height, { fit: 'fill' })
    .threshold(128)
    .toColourspace('b-w')
    .png()
    .toFile(path);
  return path;
}

/** A grey PNG's levels, one byte a pixel. */
async function greyLevels(path: string): Promise<{ levels: Buffer; width: number; height: number; channels: number }> {
  const meta = await sharp(readFileSync(path)).metadata();
  const levels = await sharp(readFileSync(path)).extractChannel(0).raw().toBuffer();
  return { levels, width: meta.width!, height: meta.height!, channels: meta.channels! };
}

/** A 16-bit depth PNG's alpha, as 0..255 values (not rounded: the alpha is soft along the outline). */
async function alphaLevels(path: string): Promise<Float64Array> {
  const data = await sharp(readFileSync(path)).extractChannel('alpha').toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer();
  return Float64Array.from(new Uint16Array(data.buffer, data.byteOffset, data.length / 2), (v) => (v / 65535) * 255);
}

/** The largest difference between two same-sized lists of levels. */
function worstDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
  return worst;
}

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
    expect(Object.fromEntries(report.files.map((file) => [file.input.split('/').pop(), file.status]))).toEqual({
      'apple.jpg': 'skipped',
      'broken.jpg': 'failed',
      'coffee.png': 'skipped',
    });
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
    const good = cli(data, [
      'generate',
      join(dir, 'apple.jpg'),
      join(dir, 'coffee.png'),
      '-f',
      'png',
      '--out-dir',
      out,
      '--model-type',
      'base',
      '--no-rmbg',
    ]);
    expect(good.status, good.stderr).toBe(0);
    expect(good.stdout).toMatch(/^0 written, 2 skipped, 0 failed/m);
  });

  it('turns a folder of photos into STL reliefs sized by the relief options', () => {
    const dir = tempDir('maker');
    copyFileSync(join(PHOTOS, 'opencv_apple.jpg'), join(dir, 'apple.jpg')); // 512 × 512
    copyFileSync(join(PHOTOS, 'skimage_coffee.png'), join(dir, 'coffee.png')); // 600 × 400
    const out = join(tempDir('stl'), 'reliefs');
    const relief = ['--width', '80', '--height-relief', '3', '--thickness-base', '2'];
    const result = cli(tempDir('cli-data'), [
      'generate',
      dir,
      '-f',
      'stl',
      '--out-dir',
      out,
      '--model-type',
      'base',
      '--no-rmbg',
      ...relief,
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^2 written, 0 skipped, 0 failed/m);
    expect(readdirSync(out).sort()).toEqual(['apple.stl', 'coffee.stl']);
    // --relief-style smooth: the depth alone, another (and simpler) mesh of the same size.
    const smoothOut = join(tempDir('stl'), 'smooth');
    const smooth = cli(tempDir('cli-data'), [
      'generate',
      join(dir, 'apple.jpg'),
      '-f',
      'stl',
      '--out-dir',
      smoothOut,
      '--model-type',
      'base',
      '--no-rmbg',
      ...relief,
      '--relief-style',
      'smooth',
    ]);
    expect(smooth.status, smooth.stderr).toBe(0);
    const facets = (path: string) => readFileSync(path).readUInt32LE(80);
    expect(facets(join(smoothOut, 'apple.stl'))).not.toBe(facets(join(out, 'apple.stl')));
    for (const [name, aspect] of [
      ['apple.stl', 1],
      ['coffee.stl', 400 / 600],
    ] as const) {
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

  it("makes normal maps with -f normal (NAME.normal.png, 16-bit RGBA at the depth map's size), or from -o NAME.normal.png", async () => {
    const dir = photoFolder();
    const out = tempDir('normals');
    const data = tempDir('cli-data');
    const result = cli(data, [
      'generate',
      join(dir, 'apple.jpg'),
      join(dir, 'coffee.png'),
      '-f',
      'normal',
      '--out-dir',
      out,
      '--model-type',
      'base',
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['apple.normal.png', 'coffee.normal.png']);
    const depth = cli(data, ['generate', join(dir, 'coffee.png'), '-f', 'png', '--out-dir', out, '--model-type', 'base']);
    expect(depth.status, depth.stderr).toBe(0);
    const meta = await sharp(readFileSync(join(out, 'coffee.normal.png'))).metadata();
    const depthMeta = await sharp(readFileSync(join(out, 'coffee.depth.png'))).metadata();
    expect({ format: meta.format, depth: meta.depth, channels: meta.channels, width: meta.width, height: meta.height }).toEqual({
      format: 'png',
      depth: 'ushort',
      channels: 4,
      width: depthMeta.width,
      height: depthMeta.height,
    });
    // The format from the file's name.
    const named = join(tempDir('named'), 'apple.normal.png');
    const one = cli(data, ['generate', join(dir, 'apple.jpg'), '-o', named, '--model-type', 'base', '--no-rmbg']);
    expect(one.status, one.stderr).toBe(0);
    expect(await sharp(readFileSync(named)).metadata()).toMatchObject({
      format: 'png',
      depth: 'ushort',
      channels: 3,
      width: 1024,
      height: 1024,
    });
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
      [['-f', 'jpg'], /argument 'jpg' is invalid.*exr, png, bmp, normal, stl, glb, 3mf/],
      [['-f', 'normal', '-o', join(dir, 'x.exr')], /ends in \.exr but --format is normal/],
      [['-o', join(dir, 'x.png'), '-f', 'exr'], /ends in \.png but --format is exr/],
      [['-o', join(dir, 'x.jpg')], /-o \S*x\.jpg: a png file is written, so name it x\.png \(or choose --format\)/],
      [
        [join(dir, 'coffee.png'), '-o', join(dir, 'z.png')],
        /-o \S*z\.png names one file, but 2 photos were given: give a folder \(-o out\/\) or --out-dir/,
      ],
      [['--server', 'http://127.0.0.1:9'], /needs client credentials: set DEPTHMILL_CLIENT_ID/],
      [['--subject-box', '0.1,0.2,0.8'], /--subject-box must be four numbers "x0,y0,x1,y1" .*\(got "0\.1,0\.2,0\.8"\)/],
      [['--subject-box', '50,20,400,300'], /--subject-box must be four numbers from 0 to 1/],
      [['--subject-box', '0.9,0,0.1,1'], /--subject-box must have x0 < x1 and y0 < y1/],
      [['--subject-box', '0,0,0.5,1', '--no-rmbg'], /--subject-box only applies when the background is removed/],
      [['--mask', join(dir, 'apple.jpg'), '--no-rmbg'], /--mask only applies when the background is removed: drop --no-rmbg/],
      [['--mask-out', join(dir, 'm.png'), '--no-rmbg'], /--mask-out writes the background mask, and --no-rmbg keeps the background/],
      [['--mask', join(dir, 'no-such-mask.png')], /--mask \S*no-such-mask\.png: no such file/],
      [[join(dir, 'coffee.png'), '--mask', join(dir, 'apple.jpg')], /--mask is the mask of one photo, and 2 photos were given/],
      [['--relief-mode', 'lithophane'], /--relief-mode lithophane makes a mesh: format must be 3 \(stl\), 4 \(glb\) or 5 \(3mf\)/],
      [
        ['-f', 'stl', '--relief-mode', 'lithophane', '--litho-min', '2', '--litho-max', '1.5'],
        /--litho-max must be more than litho_min \(2\)/,
      ],
      [['-f', 'stl', '--relief-mode', 'lithophane', '--litho-frame', '30'], /--litho-frame must be a number from 0 to 20/],
      [['-f', 'stl', '--litho-shape', 'arc'], /--litho-shape only applies with relief_mode=lithophane/],
      [
        ['-f', 'stl', '--relief-mode', 'lithophane', '--litho-shape', 'cylinder', '--litho-angle', '90'],
        /--litho-angle only applies with litho_shape=arc/,
      ],
      [['-f', 'stl', '--relief-mode', 'lithophane', '--litho-color'], /--litho-color needs format 5 \(3mf\)/],
      [['-f', 'stl', '--relief-style', 'bumpy'], /argument 'bumpy' is invalid.*detailed, smooth/],
      [['-f', 'stl', '--detail-height', '5'], /--detail-height must be a number from 0 to 2/],
      [['-f', 'stl', '--relief-mode', 'lithophane', '--mask', join(dir, 'apple.jpg')], /--mask does not apply to --relief-mode lithophane/],
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
    expect(help.stdout).toMatch(/--subject-box <box>\s+where the subject is, "x0,y0,x1,y1"/);
    expect(help.stdout).toMatch(/--mask <file>\s+your own background mask/);
    expect(help.stdout).toMatch(/--mask-out <path>\s+also write the mask/);
    expect(help.stdout).toMatch(/--litho-shape <shape>\s+lithophane shape: flat plate, arc \(bent along\s+--litho-angle\) or cylinder/);
    expect(help.stdout).toMatch(/--litho-color\s+colour lithophane: cyan, magenta, yellow and white/);
    expect(help.stdout).toMatch(
      /--litho-angle <degrees>\s+degrees of arc of a --litho-shape arc lithophane\s+\(10\s+to 350, default 120\)/,
    );
    expect(help.stdout).toMatch(
      /--detail-height <mm>\s+how deep the photo's detail is carved in the\s+detailed style, meshes only \(0 to 2, default 0\.4\)/,
    );
  });

  it('makes lithophanes with --relief-mode lithophane, without a model, litho_min to litho_max thick', async () => {
    const dir = tempDir('litho');
    copyFileSync(join(PHOTOS, 'skimage_coffee.png'), join(dir, 'coffee.png')); // 600 × 400
    const out = join(dir, 'coffee.stl');
    // An empty models folder: no model is loaded, so none is missing.
    const args = [
      'generate',
      join(dir, 'coffee.png'),
      '-o',
      out,
      '--relief-mode',
      'lithophane',
      '--width',
      '50',
      '--litho-min',
      '0.6',
      '--litho-max',
      '2.4',
      '--litho-frame',
      '2',
    ];
    const result = await cliAsync(args, { DEPTHMILL_MODELS: tempDir('no-models') });
    expect(result.status, result.stderr).toBe(0);
    const report = admesh(out);
    expect([report.parts, report.edgesFixed, report.backwardsEdges, report.facetsReversed]).toEqual([1, 0, 0, 0]);
    const { min, max } = stlBounds(out);
    expect(max[0]! - min[0]!).toBeCloseTo(50, 2);
    expect((max[1]! - min[1]!) / 50).toBeCloseTo(400 / 600, 2);
    expect(min[2]).toBeCloseTo(0, 4);
    expect(max[2]).toBeCloseTo(2.4, 3);
  });

  it('makes a cylinder lithophane with --litho-shape cylinder: one closed tube width / π across', async () => {
    const dir = tempDir('litho-cylinder');
    copyFileSync(join(PHOTOS, 'skimage_coffee.png'), join(dir, 'coffee.png')); // 600 × 400
    const out = join(dir, 'coffee.stl');
    const args = [
      'generate',
      join(dir, 'coffee.png'),
      '-o',
      out,
      '--relief-mode',
      'lithophane',
      '--litho-shape',
      'cylinder',
      '--width',
      '60',
    ];
    const result = await cliAsync(args, { DEPTHMILL_MODELS: tempDir('no-models') });
    expect(result.status, result.stderr).toBe(0);
    const report = admesh(out);
    expect([report.parts, report.edgesFixed, report.backwardsEdges, report.facetsReversed]).toEqual([1, 0, 0, 0]);
    const { min, max } = stlBounds(out);
    expect(max[0]! - min[0]!).toBeCloseTo(60 / Math.PI, 2);
    expect(max[1]! - min[1]!).toBeCloseTo(60 / Math.PI, 2);
    expect(max[2]! - min[2]!).toBeCloseTo(40, 0); // the photo's height, standing
  });

  it("cuts with the user's --mask and writes the mask it used with --mask-out", async () => {
    const maskFile = await cutMatteFile();
    const out = tempDir('masked');
    const result = cli(tempDir('cli-data'), [
      'generate',
      MATTED,
      '-o',
      join(out, 'pair.png'),
      '--model-type',
      'base',
      '--mask',
      maskFile,
      '--mask-out',
      join(out, 'used.png'),
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/ok\s+\S+ -> \S*pair\.png \+ \S*used\.png/);
    const given = await greyLevels(maskFile);
    const used = await greyLevels(join(out, 'used.png'));
    // An 8-bit grey PNG at the output size, and exactly the mask that was given, as is the depth map's alpha.
    expect([used.width, used.height, used.channels]).toEqual([MATTED_BASE.width, MATTED_BASE.height, 1]);
    expect(used.levels.equals(given.levels)).toBe(true);
    expect(worstDifference(await alphaLevels(join(out, 'pair.png')), given.levels)).toBeLessThan(1e-6);
  });

  it('keeps the cut inside --subject-box, and writes NAME.mask.png per photo into a --mask-out folder', async () => {
    const dir = tempDir('boxed');
    copyFileSync(MATTED, join(dir, 'pair.png'));
    copyFileSync(join(PHOTOS, 'opencv_apple.jpg'), join(dir, 'apple.jpg'));
    const masks = join(tempDir('masks'), 'all');
    const maps = tempDir('maps');
    const result = cli(tempDir('cli-data'), [
      'generate',
      dir,
      '-f',
      'bmp',
      '--out-dir',
      maps,
      '--model-type',
      'base',
      '--subject-box',
      '0,0,0.5,1',
      '--mask-out',
      masks,
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(masks).sort()).toEqual(['apple.mask.png', 'pair.mask.png']);
    const pair = await greyLevels(join(masks, 'pair.mask.png'));
    expect([pair.width, pair.height, pair.channels]).toEqual([MATTED_BASE.width, MATTED_BASE.height, 1]);
    let right = 0;
    let kept = 0;
    for (let i = 0; i < pair.levels.length; i++) {
      if (pair.levels[i]! < 128) continue;
      kept++;
      if (i % pair.width > 0.51 * pair.width) right++;
    }
    expect(right).toBe(0); // the cup is outside the box
    expect(kept).toBeGreaterThan(0.05 * pair.levels.length); // the apple is kept

    // A later run skips only what has all its outputs: with the masks asked elsewhere, the maps are made again.
    const again = cli(tempDir('cli-data'), [
      'generate',
      dir,
      '-f',
      'bmp',
      '--out-dir',
      maps,
      '--model-type',
      'base',
      '--mask-out',
      tempDir('more-masks'),
      '--json',
    ]);
    expect(again.status, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as Report).summary).toMatchObject({ written: 2, skipped: 0 });
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
    for (const file of report.files.filter((entry) => entry.status === 'written'))
      expect(file.task_id).toMatch(/^depth_\d{8}_[0-9a-f]{12}$/);
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

  it("sends --mask and --subject-box, and writes --mask-out from the PNG result's alpha, as local mode does", async () => {
    const maskFile = await cutMatteFile();
    const remote = tempDir('remote-mask');
    const local = tempDir('local-mask');
    // A relief: the server makes the PNG whose alpha is the mask as a second task.
    const masked = await cliAsync(
      [
        'generate',
        MATTED,
        '-o',
        join(remote, 'pair.stl'),
        '--model-type',
        'base',
        '--mask',
        maskFile,
        '--mask-out',
        join(remote, 'used.png'),
        '--server',
        server.url,
      ],
      env,
    );
    expect(masked.status, masked.stderr).toBe(0);
    expect(admesh(join(remote, 'pair.stl')).parts).toBeGreaterThan(0);
    expect((await greyLevels(join(remote, 'used.png'))).levels.equals((await greyLevels(maskFile)).levels)).toBe(true);

    const options = ['-f', 'png', '--model-type', 'base', '--subject-box', '0,0,0.5,1'];
    const boxed = await cliAsync(
      [
        'generate',
        MATTED,
        ...options,
        '-o',
        join(remote, 'boxed.png'),
        '--mask-out',
        join(remote, 'boxed.mask.png'),
        '--server',
        server.url,
      ],
      env,
    );
    expect(boxed.status, boxed.stderr).toBe(0);
    const offline = await cliAsync([
      'generate',
      MATTED,
      ...options,
      '-o',
      join(local, 'boxed.png'),
      '--mask-out',
      join(local, 'boxed.mask.png'),
    ]);
    expect(offline.status, offline.stderr).toBe(0);
    const [a, b] = await Promise.all([remote, local].map((folder) => readFileSync(join(folder, 'boxed.mask.png'))));
    expect(a!.equals(b!)).toBe(true);
    // The mask written is the result's alpha, to within 8-bit rounding.
    expect(
      worstDifference(await alphaLevels(join(remote, 'boxed.png')), (await greyLevels(join(local, 'boxed.mask.png'))).levels),
    ).toBeLessThanOrEqual(0.5);
  });

  it('stops at once with a clear message when the credentials are wrong', async () => {
    const dir = photoFolder();
    const out = tempDir('refused');
    mkdirSync(out, { recursive: true });
    const result = await cliAsync(['generate', dir, '--out-dir', out, '--server', server.url], {
      ...env,
      DEPTHMILL_CLIENT_SECRET: 'wrong',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/client credentials are invalid/);
    expect(readdirSync(out)).toEqual([]);
    expect(existsSync(join(dir, 'apple.depth.png'))).toBe(false);
  });
});
