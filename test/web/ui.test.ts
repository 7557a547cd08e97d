// The web UI in a real headless Chromium (Debian's, driven by playwright-core), served by the real
// server: what a designer does, by keyboard where a keyboard user would, failing on any console
// error. Screenshots are kept in test-artifacts/.
import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { validateBytes } from 'gltf-validator';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchChromium, watchErrors } from '../helpers/browser.js';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClientCredentials, REPO, startServer, type Credentials, type TestServer } from '../helpers/server.js';
import { photo } from '../helpers/fixtures.js';

// Browser globals, as the page.evaluate callbacks below use them (the tests compile without the DOM library).
interface BrowserImage {
  complete: boolean;
  naturalWidth: number;
  naturalHeight: number;
}
interface BrowserCanvas {
  width: number;
  height: number;
  getContext(kind: '2d'): {
    drawImage(image: BrowserImage, x: number, y: number): void;
    getImageData(x: number, y: number, w: number, h: number): { data: ArrayLike<number> };
  } | null;
}
declare const document: {
  activeElement: { id: string } | null;
  cookie: string;
  documentElement: { scrollWidth: number };
  createElement(tag: 'canvas'): BrowserCanvas;
  querySelector(selector: string): { getBoundingClientRect(): { right: number }; textContent: string | null } | null;
};
declare const window: { innerWidth: number };
declare const sessionStorage: { length: number };
declare const localStorage: { length: number };

const PHOTO = photo('opencv_apple.jpg'); // 512 × 512
const ARTIFACTS = join(REPO, 'test-artifacts');
const VIEWER_BACKGROUND = [0x2a, 0x2f, 0x3a];

let server: TestServer;
let credentials: Credentials;
let browser: Browser;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  server = await startServer();
  credentials = createClientCredentials(server.dataDir, 'designer');
  // depthmill.test: a name the browser treats as a remote host (not loopback, so no secure-context
  // exemptions), resolved to the test server on 127.0.0.1.
  browser = await launchChromium(['--host-resolver-rules=MAP depthmill.test 127.0.0.1']);
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

async function signIn(page: Page): Promise<void> {
  await page.goto(server.url);
  await page.focus('#client-id');
  await page.keyboard.type(credentials.clientId);
  await page.keyboard.press('Tab');
  await page.keyboard.type(credentials.clientSecret);
  await page.keyboard.press('Enter');
  await page.waitForSelector('#workspace:not([hidden])');
}

/**
 * Picks the photo and generates a base depth map. 'keyboard': the photo input has the focus after
 * signing in and Space opens the file chooser, as for a keyboard user. 'touch': the photo is handed
 * to the input directly (a phone's picker is the system's, not the page's; what the phone test
 * checks is the layout).
 */
async function makeDepthMap(page: Page, pick: 'keyboard' | 'touch' = 'keyboard'): Promise<void> {
  if (pick === 'keyboard') {
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('photo-input');
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.keyboard.press('Space')]);
    await chooser.setFiles(PHOTO);
  } else {
    await page.locator('#photo-input').setInputFiles(PHOTO);
  }
  await page.selectOption('#model_type', 'base');
  await page.focus('#width');
  await page.keyboard.press('Enter'); // submits the options form
  await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('Done'), undefined, { timeout: 90_000 });
  // The progress bar the server's progress drives ends full.
  expect(await page.$eval('#progress', (bar) => (bar as unknown as { value: number }).value)).toBe(100);
  expect(await page.isVisible('#progress')).toBe(true);
}

/**
 * What the page sends: the text fields of every create-task form, files as `file:<size>` (the
 * browser does not hand a multipart body with files to the test, so the page's fetch reports it).
 */
async function captureForms(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    const page = globalThis as unknown as { fetch: typeof fetch; sentForms: Record<string, string>[] };
    const original = page.fetch.bind(globalThis);
    page.sentForms = [];
    page.fetch = (input, init) => {
      if (String(input).endsWith('/depth/create-task') && init?.body instanceof FormData) {
        page.sentForms.push(
          Object.fromEntries(
            [...init.body.entries()].map(([name, value]) => [name, typeof value === 'string' ? value : `file:${value.size}`]),
          ),
        );
      }
      return original(input, init);
    };
  });
}

function formsSent(page: Page): Promise<Record<string, string>[]> {
  return page.evaluate(() => (globalThis as unknown as { sentForms: Record<string, string>[] }).sentForms);
}

/** The triangle count of the mesh the preview shows, once it shows one other than `previous`. */
async function previewTriangles(page: Page, previous?: string): Promise<number> {
  await page.waitForFunction(
    (before) => {
      const shown = (document.querySelector('#viewer') as unknown as { dataset: { triangles?: string } } | null)?.dataset.triangles;
      return shown !== undefined && shown !== before;
    },
    previous,
    { timeout: 90_000 },
  );
  return Number(await page.getAttribute('#viewer', 'data-triangles'));
}

/** Triangles of a binary STL, from its header's count (checked against the file's length). */
function stlTriangles(bytes: Buffer): number {
  const count = bytes.readUInt32LE(80);
  expect(bytes.length).toBe(84 + 50 * count);
  return count;
}

/** Pixels of the 3D preview as the screen shows them: how many differ from the empty background, and how many colours. */
async function canvasStats(page: Page): Promise<{ raw: Buffer; covered: number; colours: number }> {
  const png = await page.locator('#viewer canvas').screenshot();
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let covered = 0;
  const colours = new Set<number>();
  for (let i = 0; i < data.length; i += 3) {
    const [r, g, b] = [data[i]!, data[i + 1]!, data[i + 2]!];
    if (Math.abs(r - VIEWER_BACKGROUND[0]!) + Math.abs(g - VIEWER_BACKGROUND[1]!) + Math.abs(b - VIEWER_BACKGROUND[2]!) > 30) covered++;
    colours.add((r << 16) | (g << 8) | b);
  }
  return { raw: data, covered: covered / (info.width * info.height), colours: colours.size };
}

describe('web UI', () => {
  let context: BrowserContext;

  afterAll(async () => {
    await context?.close();
  });

  it('signs in, makes a depth map, shows it with colormaps and a 3D preview, and downloads the relief', async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    await captureForms(context);
    const page = await context.newPage();
    const errors = watchErrors(page);

    // Wrong secret first: the page says so (the browser itself logs the refused request).
    await page.goto(server.url);
    await page.fill('#client-id', credentials.clientId);
    await page.fill('#client-secret', 'not-the-secret');
    await page.press('#client-secret', 'Enter');
    await expect.poll(() => page.textContent('#sign-in-error'), { timeout: 20_000 }).toMatch(/credentials were refused/);
    expect(errors.splice(0).every((error) => /status of 401/.test(error))).toBe(true);
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

    await page.fill('#client-id', '');
    await page.fill('#client-secret', '');
    await signIn(page);
    // The credentials live in this tab's session storage only.
    expect(await page.evaluate(() => [sessionStorage.length, localStorage.length, document.cookie])).toEqual([1, 0, '']);

    await makeDepthMap(page);
    expect(await page.locator('#states li.done').allTextContents()).toEqual(['created', 'queued', 'processing', 'done']);

    // The depth map shows, at the size the API makes for base (long side 1024).
    const depth = page.locator('#depth-image');
    await expect
      .poll(() => depth.evaluate((image: BrowserImage) => [image.complete, image.naturalWidth, image.naturalHeight]), { timeout: 20_000 })
      .toEqual([true, 1024, 1024]);
    const centre = () =>
      depth.evaluate((image: BrowserImage) => {
        const canvas = document.createElement('canvas');
        canvas.width = image.naturalWidth;
        canvas.height = image.naturalHeight;
        const context2d = canvas.getContext('2d')!;
        context2d.drawImage(image, 0, 0);
        return Array.from(context2d.getImageData(image.naturalWidth / 2, image.naturalHeight / 2, 1, 1).data);
      });
    const [r, g, b, a] = await centre();
    expect(r).toBe(g);
    expect(g).toBe(b);
    expect(a).toBe(255); // the apple is foreground
    expect(r).toBeGreaterThan(100); // and near: bright

    // Colormap toggle: the same map in colour.
    await page.click('button[data-colormap="viridis"]');
    expect(await page.getAttribute('button[data-colormap="viridis"]', 'aria-pressed')).toBe('true');
    await expect
      .poll(
        async () => {
          const [cr, cg, cb] = await centre();
          return cr !== cg || cg !== cb;
        },
        { timeout: 20_000 },
      )
      .toBe(true);

    // Before/after slider, by keyboard.
    await page.focus('#compare-slider');
    for (let i = 0; i < 5; i++) await page.keyboard.press('ArrowRight');
    expect(await page.inputValue('#compare-slider')).toBe('55');
    expect(
      await page
        .locator('#compare')
        .evaluate((element: { style: { getPropertyValue(name: string): string } }) => element.style.getPropertyValue('--split')),
    ).toBe('55%');

    // The 3D preview is the server's relief in the detailed style (the default): made from the
    // photo, whose detail it carves, with the depth map's own options; it draws shaded and turns
    // when dragged.
    const embossed = await previewTriangles(page);
    expect(embossed).toBeGreaterThan(1000);
    const previewForm = (await formsSent(page)).at(-1)!;
    expect(previewForm).toMatchObject({ format: '4', rmbg: '1', model_type: 'base', sculpmode: '0', relief_style: 'detailed' });
    expect(previewForm.image).toMatch(/^file:\d+/);
    expect(previewForm).not.toHaveProperty('depth_map');
    await page.locator('#viewer canvas').scrollIntoViewIfNeeded();
    const before = await canvasStats(page);
    expect(before.covered).toBeGreaterThan(0.1);
    expect(before.colours).toBeGreaterThan(50); // shaded, not a flat silhouette
    const box = (await page.locator('#viewer canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 150, box.y + box.height / 2 - 60, { steps: 10 });
    await page.mouse.up();
    const after = await canvasStats(page);
    let changed = 0;
    for (let i = 0; i < before.raw.length; i++) if (before.raw[i] !== after.raw[i]) changed++;
    expect(changed / before.raw.length).toBeGreaterThan(0.02);

    // Downloads: the preview's GLB is offered as it is: valid glTF, the mesh on screen.
    const glbLink = page.locator('a[data-format="glb"]');
    await glbLink.waitFor({ timeout: 90_000 });
    const [glbDownload] = await Promise.all([page.waitForEvent('download'), glbLink.click()]);
    // Named after the photo (opencv_apple.jpg), not the server's task id.
    expect(glbDownload.suggestedFilename()).toBe('opencv_apple.glb');
    const glb = await readFile((await glbDownload.path())!);
    const report = await validateBytes(new Uint8Array(glb));
    expect(report.issues.numErrors, JSON.stringify(report.issues.messages.slice(0, 5))).toBe(0);
    expect(report.info?.totalTriangleCount).toBe(embossed);

    // An option changed after the result: the preview follows, and so does the next download.
    await page.selectOption('#sculpmode', '1');
    const engraved = await previewTriangles(page, String(embossed));
    expect((await formsSent(page)).at(-1)).toMatchObject({ format: '4', sculpmode: '1' });
    await page.click('button[data-format="stl"]');
    const stlLink = page.locator('a[data-format="stl"]');
    await stlLink.waitFor({ timeout: 90_000 });
    expect((await formsSent(page)).at(-1)).toMatchObject({ format: '3', sculpmode: '1' });
    const [stlDownload] = await Promise.all([page.waitForEvent('download'), stlLink.click()]);
    expect(stlTriangles(await readFile((await stlDownload.path())!))).toBe(engraved);

    // The smooth style (the depth alone) is made from the depth map on screen: no photo sent again.
    await page.selectOption('#relief_style', 'smooth');
    const smooth = await previewTriangles(page, String(engraved));
    const smoothForm = (await formsSent(page)).at(-1)!;
    expect(smoothForm).toMatchObject({ format: '4', rmbg: '1', relief_style: 'smooth' });
    expect(smoothForm.depth_map).toMatch(/^file:\d+/);
    expect(smoothForm).not.toHaveProperty('image');
    expect(smooth).not.toBe(engraved);

    // A lithophane: its own fields, made from the photo (no depth model), previewed like a relief.
    expect(await page.isVisible('#litho_max')).toBe(false);
    await page.selectOption('#relief_mode', 'lithophane');
    expect(await page.isVisible('#litho_max')).toBe(true);
    expect(await page.isVisible('#height_relief')).toBe(false);
    expect(await page.isVisible('a[data-format="stl"]')).toBe(false); // the engraved STL is not offered for it
    await previewTriangles(page, String(smooth));
    const lithoForm = (await formsSent(page)).at(-1)!;
    expect(lithoForm).toMatchObject({ format: '4', relief_mode: 'lithophane', litho_min: '0.8', litho_max: '3' });
    expect(lithoForm.image).toMatch(/^file:\d+/);
    expect(await page.textContent('#preview-status')).toMatch(/triangles/);
    // A thickest part not above the thinnest is said at once, in the form's words, and not sent.
    const sent = (await formsSent(page)).length;
    await page.fill('#litho_min', '2');
    await page.fill('#litho_max', '1.5');
    await expect
      .poll(() => page.textContent('#preview-status'), { timeout: 20_000 })
      .toBe('No preview: Thickest must be more than thinnest.');
    expect((await formsSent(page)).length).toBe(sent);

    // Curved lithophanes: a cylinder, then an arc with its angle (asked for only then), each previewed.
    const flatLitho = Number(await page.getAttribute('#viewer', 'data-triangles'));
    expect(await page.isVisible('#litho_shape')).toBe(true);
    expect(await page.isVisible('#litho_angle')).toBe(false);
    await page.fill('#litho_min', '0.8');
    await page.fill('#litho_max', '3');
    await page.fill('#width', '100');
    await page.selectOption('#litho_shape', 'cylinder');
    expect(await page.isVisible('#litho_angle')).toBe(false);
    const tube = await previewTriangles(page, String(flatLitho));
    const tubeForm = (await formsSent(page)).at(-1)!;
    expect(tubeForm).toMatchObject({ format: '4', relief_mode: 'lithophane', litho_shape: 'cylinder', width: '100' });
    expect(tubeForm).not.toHaveProperty('litho_angle');
    expect(await page.textContent('#preview-status')).toMatch(/^The mesh the downloads give: [\d,]+ triangles\.$/); // one part
    await page.locator('#viewer canvas').scrollIntoViewIfNeeded();
    expect((await canvasStats(page)).covered).toBeGreaterThan(0.05);
    await page.locator('#viewer canvas').screenshot({ path: join(ARTIFACTS, 'web-ui-cylinder.png') });
    await page.selectOption('#litho_shape', 'arc');
    expect(await page.isVisible('#litho_angle')).toBe(true);
    expect(await page.inputValue('#litho_angle')).toBe('120'); // the server's default
    await page.fill('#litho_angle', '90');
    await previewTriangles(page, String(tube));
    expect((await formsSent(page)).at(-1)).toMatchObject({ format: '4', relief_mode: 'lithophane', litho_shape: 'arc', litho_angle: '90' });
    expect((await canvasStats(page)).covered).toBeGreaterThan(0.05);
    await page.locator('#viewer canvas').screenshot({ path: join(ARTIFACTS, 'web-ui-arc.png') });
    // A colour lithophane: previewed as its 3MF seen back-lit (the apple red), the 3MF offered.
    await page.selectOption('#litho_shape', 'flat');
    await page.check('#litho_color');
    await page.locator('#backlit-preview').waitFor({ state: 'visible', timeout: 90_000 });
    expect((await formsSent(page)).at(-1)).toMatchObject({ format: '5', relief_mode: 'lithophane', litho_color: '1', litho_shape: 'flat' });
    expect(await page.textContent('#preview-status')).toMatch(/in 4 coloured parts/);
    expect(await page.isVisible('a[data-format="3mf"]')).toBe(true);
    const backlitPng = await page.locator('#backlit-canvas').screenshot({ path: join(ARTIFACTS, 'web-ui-colour-lithophane.png') });
    const { data: lit } = await sharp(backlitPng).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    let [red, blue] = [0, 0];
    for (let i = 0; i < lit.length; i += 3) [red, blue] = [red + lit[i]!, blue + lit[i + 2]!];
    expect(red).toBeGreaterThan(1.1 * blue);
    // An STL of it is said to be impossible at once, not sent to be refused.
    const formsBefore = (await formsSent(page)).length;
    await page.click('button[data-format="stl"]');
    await expect.poll(() => page.textContent('li[data-item="stl"] .note')).toMatch(/3MF only/);
    expect((await formsSent(page)).length).toBe(formsBefore);
    await page.uncheck('#litho_color');
    await expect.poll(() => page.isVisible('#backlit-preview'), { timeout: 20_000 }).toBe(false);
    // Back to the relief: the lithophane's shape is not sent with it.
    await page.selectOption('#relief_mode', 'relief');
    await expect.poll(async () => (await formsSent(page)).at(-1)?.relief_mode, { timeout: 20_000 }).toBe('relief');
    expect((await formsSent(page)).at(-1)).not.toHaveProperty('litho_shape');

    const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.click('a[data-format="png"]')]);
    expect(pngDownload.suggestedFilename()).toBe('opencv_apple.depth.png');
    const png = await sharp(await readFile((await pngDownload.path())!)).metadata();
    expect([png.format, png.depth, png.width]).toEqual(['png', 'ushort', 1024]);

    // The normal map: made when asked (format 7, the depth map's own options), shown below the
    // list as the server made it, and saved as NAME.normal.png.
    expect(await page.isVisible('#normal-preview')).toBe(false);
    await page.click('button[data-format="normal"]');
    const normalLink = page.locator('a[data-format="normal"]');
    await normalLink.waitFor({ timeout: 90_000 });
    expect((await formsSent(page)).at(-1)).toMatchObject({ format: '7', rmbg: '1', model_type: 'base' });
    expect(await page.isVisible('#normal-image')).toBe(true);
    const normalCentre = await page.locator('#normal-image').evaluate((image: BrowserImage) => {
      const canvas = document.createElement('canvas');
      canvas.width = image.naturalWidth;
      canvas.height = image.naturalHeight;
      const context2d = canvas.getContext('2d')!;
      context2d.drawImage(image, 0, 0);
      return [
        image.naturalWidth,
        image.naturalHeight,
        ...Array.from(context2d.getImageData(image.naturalWidth / 2, image.naturalHeight / 2, 1, 1).data),
      ];
    });
    const [normalWidth, normalHeight, nr, ng, nb, na] = normalCentre as [number, number, number, number, number, number];
    expect([normalWidth, normalHeight, na]).toEqual([1024, 1024, 255]);
    expect(nb).toBeGreaterThan(Math.max(nr, ng)); // the apple's middle faces the viewer: +Z, blue
    const [normalDownload] = await Promise.all([page.waitForEvent('download'), normalLink.click()]);
    expect(normalDownload.suggestedFilename()).toBe('opencv_apple.normal.png');
    const normalPng = await sharp(await readFile((await normalDownload.path())!)).metadata();
    expect([normalPng.format, normalPng.depth, normalPng.channels, normalPng.width]).toEqual(['png', 'ushort', 4, 1024]);

    await page.click('#reset-view');
    await page.screenshot({ path: join(ARTIFACTS, 'web-ui.png'), fullPage: true });
    expect(errors).toEqual([]);

    // Signing out forgets the credentials.
    await page.click('#sign-out');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    expect(await page.isVisible('#sign-in')).toBe(true);
  }, 240_000); // a depth map, five relief previews and downloads, a normal map, two curved lithophanes and a colour one: over a minute on a 2-core machine

  it('bends the relief with its bend field: the preview shows the part standing and curved, the relief scale off', async () => {
    const bendContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, acceptDownloads: true });
    try {
      await captureForms(bendContext);
      const page = await bendContext.newPage();
      const errors = watchErrors(page);
      await signIn(page);
      await makeDepthMap(page, 'touch');
      const flat = await previewTriangles(page);
      expect(await page.inputValue('#relief_bend')).toBe('0'); // the server's default
      await page.locator('#viewer canvas').scrollIntoViewIfNeeded();
      const flatView = await canvasStats(page);

      await page.fill('#relief_bend', '90');
      const bent = await previewTriangles(page, String(flat));
      expect((await formsSent(page)).at(-1)).toMatchObject({ format: '4', relief_bend: '90' });
      expect(await page.isDisabled('#exaggeration')).toBe(true);
      // The picture on screen is another: the part stands, curved.
      const bentView = await canvasStats(page);
      expect(bentView.covered).toBeGreaterThan(0.05);
      let changed = 0;
      for (let i = 0; i < flatView.raw.length; i++) if (flatView.raw[i] !== bentView.raw[i]) changed++;
      expect(changed / flatView.raw.length).toBeGreaterThan(0.05);
      await page.screenshot({ path: join(ARTIFACTS, 'web-ui-bent.png'), fullPage: true });

      // The GLB the preview shows: valid, standing (glTF's up, Y, is the apple's height), the 40 mm
      // of base curved into a shorter chord (X) with depth (Z).
      const glbLink = page.locator('a[data-format="glb"]');
      await glbLink.waitFor({ timeout: 90_000 });
      // (Its signed link, fetched here: the first test checks what clicking it saves.)
      const glb = Buffer.from(await (await fetch((await glbLink.getAttribute('href'))!)).arrayBuffer());
      const report = await validateBytes(new Uint8Array(glb));
      expect(report.issues.numErrors).toBe(0);
      expect(report.info?.totalTriangleCount).toBe(bent);
      const gltf = JSON.parse(glb.subarray(20, 20 + glb.readUInt32LE(12)).toString('utf8')) as {
        accessors: { min?: number[]; max?: number[] }[];
      };
      const position = gltf.accessors.find((accessor) => accessor.min?.length === 3)!;
      const [x, up, depth] = [0, 1, 2].map((k) => (position.max![k]! - position.min![k]!) * 1000);
      expect(x).toBeLessThan(39);
      expect(x).toBeGreaterThan(30);
      expect(up).toBeGreaterThan(20);
      expect(depth).toBeGreaterThan(8);

      // A lithophane is always flat: the bend is not sent, and the relief scale is back.
      await page.selectOption('#relief_mode', 'lithophane');
      await previewTriangles(page, String(bent));
      expect((await formsSent(page)).at(-1)).not.toHaveProperty('relief_bend');
      expect(await page.isDisabled('#exaggeration')).toBe(false);
      expect(errors).toEqual([]);
    } finally {
      await bendContext.close();
    }
  });

  it('shows the background cut over the photo, and redoes the map with a subject box drawn on it', async () => {
    const cutContext = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      await captureForms(cutContext);
      const page = await cutContext.newPage();
      const errors = watchErrors(page);
      await signIn(page);
      await makeDepthMap(page, 'touch');
      // The depth-map tasks (format 2); the preview's relief tasks come between them.
      const sentForms = async () => (await formsSent(page)).filter((form) => form.format === '2');
      expect((await sentForms())[0]).not.toHaveProperty('subject_box');

      // The removed background is tinted over the photo, and the tint can be turned off.
      await page.locator('#mask-stage').scrollIntoViewIfNeeded();
      expect(await page.isVisible('#mask-overlay')).toBe(true);
      const overlaySize = await page.locator('#mask-overlay').evaluate((canvas: BrowserCanvas) => [canvas.width, canvas.height]);
      expect(overlaySize).toEqual([1024, 1024]);
      await page.click('#mask-toggle');
      expect(await page.getAttribute('#mask-toggle', 'aria-pressed')).toBe('false');
      expect(await page.isVisible('#mask-overlay')).toBe(false);
      await page.click('#mask-toggle');
      expect(await page.isVisible('#mask-overlay')).toBe(true);
      expect(await page.isDisabled('#redo-box')).toBe(true);

      // Draw a box over the left half of the apple, from 10 % to 50 % across and 15 % to 85 % down.
      const stage = (await page.locator('#mask-photo').boundingBox())!;
      await page.mouse.move(stage.x + 0.1 * stage.width, stage.y + 0.15 * stage.height);
      await page.mouse.down();
      await page.mouse.move(stage.x + 0.5 * stage.width, stage.y + 0.85 * stage.height, { steps: 8 });
      await page.mouse.up();
      expect(await page.isVisible('#subject-box')).toBe(true);
      const typed = await Promise.all(['#box-x0', '#box-y0', '#box-x1', '#box-y1'].map((field) => page.inputValue(field)));
      expect(typed.map(Number).map(Math.round)).toEqual([10, 15, 50, 85]);

      // By keyboard too: the right edge typed in its field moves the box.
      await page.fill('#box-x1', '55');
      await page.screenshot({ path: join(ARTIFACTS, 'web-ui-cut.png'), fullPage: true });

      await page.click('#redo-box');
      await expect.poll(async () => (await sentForms()).length).toBe(2);
      const sent = (await sentForms())[1]!;
      expect(sent).toMatchObject({ format: '2', model_type: 'base', rmbg: '1' });
      const box = sent.subject_box!.split(',').map(Number);
      expect(box[0]).toBeCloseTo(0.1, 2);
      expect(box[1]).toBeCloseTo(0.15, 2);
      expect(box[2]).toBe(0.55);
      expect(box[3]).toBeCloseTo(0.85, 2);
      await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('Done'), undefined, { timeout: 90_000 });

      // The new cut keeps to the box: nothing right of it is kept, in the depth map or the tint.
      const alphaAt = (x: number, y: number) =>
        page.locator('#depth-image').evaluate(
          (image: BrowserImage, [fx, fy]) => {
            const canvas = document.createElement('canvas');
            canvas.width = image.naturalWidth;
            canvas.height = image.naturalHeight;
            const context2d = canvas.getContext('2d')!;
            context2d.drawImage(image, 0, 0);
            return context2d.getImageData(Math.round(fx! * image.naturalWidth), Math.round(fy! * image.naturalHeight), 1, 1).data[3];
          },
          [x, y],
        );
      await expect.poll(() => alphaAt(0.7, 0.5), { timeout: 20_000 }).toBe(0);
      expect(await alphaAt(0.45, 0.5)).toBe(255);
      expect(await page.isVisible('#subject-box')).toBe(true); // the box the result was made with
      expect(errors).toEqual([]);
    } finally {
      await cutContext.close();
    }
  });

  it('fits a phone screen', async () => {
    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
    try {
      const page = await phone.newPage();
      const errors = watchErrors(page);
      await signIn(page);
      await makeDepthMap(page, 'touch');
      await page.waitForSelector('#viewer canvas');
      const widths = await page.evaluate(() => ({
        page: document.documentElement.scrollWidth,
        window: window.innerWidth,
        canvas: document.querySelector('#viewer canvas')!.getBoundingClientRect().right,
      }));
      expect(widths.page).toBeLessThanOrEqual(widths.window); // nothing scrolls sideways
      expect(widths.canvas).toBeLessThanOrEqual(widths.window);
      expect((await canvasStats(page)).covered).toBeGreaterThan(0.1);
      await page.screenshot({ path: join(ARTIFACTS, 'web-ui-phone.png'), fullPage: true });
      expect(errors).toEqual([]);
    } finally {
      await phone.close();
    }
  });

  it('serves the API documentation, readable offline and without errors', async () => {
    const page = await browser.newPage();
    const errors = watchErrors(page);
    const external: string[] = [];
    page.on('request', (request) => {
      if (!request.url().startsWith(server.url) && !request.url().startsWith('data:')) external.push(request.url());
    });
    await page.goto(`${server.url}/docs`);
    // Swagger UI, from the server's own files: every route of the document, create-task with its form fields.
    const createTask = page.locator('.opblock', { hasText: '/open-api/v1/depth/create-task' }).first();
    await createTask.waitFor({ timeout: 20_000 });
    expect(await page.locator('.opblock-summary-path').allTextContents()).toEqual(
      expect.arrayContaining(['/open-api/v1/auth/token', '/open-api/v1/depth/query-task']),
    );
    await createTask.locator('.opblock-summary').click();
    await expect.poll(() => createTask.textContent(), { timeout: 20_000 }).toMatch(/height_relief/);
    await page.screenshot({ path: join(ARTIFACTS, 'docs.png'), fullPage: true });
    await page.close();
    expect(external).toEqual([]);
    expect(errors).toEqual([]);
  });

  it('shows the API documentation over plain HTTP on an address other than loopback', async () => {
    // With upgrade-insecure-requests in its policy the page asked for its scripts over HTTPS from
    // this HTTP port and stayed blank; browsers skip that upgrade for loopback only.
    const page = await browser.newPage();
    await page.goto(`http://depthmill.test:${new URL(server.url).port}/docs`);
    await page.locator('.opblock', { hasText: '/open-api/v1/depth/create-task' }).first().waitFor({ timeout: 20_000 });
    await page.close();
  });
});
