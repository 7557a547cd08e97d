// The front door in a real headless Chromium (Debian's, driven by playwright-core): `depthmill
// serve` on loopback (what `npm start` runs) prints a sign-in link; following it opens the web UI
// signed in, with no credentials typed, and makes a depth map. With only the bundled models (Depth
// Anything V2 Small not fetched) the page says, in one line, how to get much better depth. The
// link is spent: opened again, it signs nobody in and says why.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser } from 'playwright-core';
import { launchChromium, watchErrors } from '../helpers/browser.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { copyBundledModels, printedWebUi, REPO, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { photo } from '../helpers/fixtures.js';

declare const document: { querySelector(selector: string): { textContent: string | null } | null };
declare const sessionStorage: { length: number; key(index: number): string | null; getItem(key: string): string | null };

const PHOTO = photo('opencv_apple.jpg');
const ARTIFACTS = join(REPO, 'test-artifacts');

let server: TestServer;
let browser: Browser;
let link: string;

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const modelDir = tempDir('models');
  copyBundledModels(modelDir);
  // No pins: a fresh install whose fetch of Depth Anything V2 Small failed, so FastDepth serves.
  server = await startServer({ env: { DEPTHMILL_MODELS: modelDir, DEPTHMILL_MODEL_BASE: '', DEPTHMILL_MODEL_PRO: '' } });
  link = await printedWebUi(server);
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

it('follows the printed link into a signed-in web UI that makes a depth map, and says how to get better depth', async () => {
  expect(link.startsWith(`${server.url}/#signin=`)).toBe(true);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = watchErrors(page);
  const secret = new URLSearchParams(new URL(link).hash.slice(1)).get('signin')!;

  await page.goto(link);
  await page.waitForSelector('#workspace:not([hidden])', { timeout: 20_000 });
  expect(await page.isVisible('#sign-in')).toBe(false);
  expect(await page.textContent('#account-name')).toMatch(/^Signed in as dm_/);
  // The secret leaves the address bar at once and is kept nowhere: the tab holds a token.
  expect(page.url()).toBe(`${server.url}/`);
  const stored = await page.evaluate(() => sessionStorage.getItem(sessionStorage.key(0)!));
  expect(stored).not.toContain(secret);
  expect(JSON.parse(stored!)).toEqual({ clientId: expect.stringMatching(/^dm_/), accessToken: expect.any(String) });

  // The better-model line, from the server (GET /open-api/v1/depth/models).
  await expect.poll(() => page.isVisible('#model-hint'), { timeout: 10_000 }).toBe(true);
  expect(await page.textContent('#model-hint')).toBe(
    'FastDepth serves model_type base and pro: Depth Anything V2 Small gives much better depth; install it with `npx depthmill models pull depth-anything-v2-small` and restart the server.',
  );

  // Signed in for real: a depth map is made with the link's token.
  await page.locator('#photo-input').setInputFiles(PHOTO);
  await page.selectOption('#model_type', 'base');
  await page.click('#generate');
  await page.waitForFunction(() => document.querySelector('#status')?.textContent?.startsWith('Done'), undefined, { timeout: 90_000 });
  await page.screenshot({ path: join(ARTIFACTS, 'web-ui-signin-link.png'), fullPage: true });

  // A reload keeps the session (the token, not the spent link).
  await page.reload();
  await page.waitForSelector('#workspace:not([hidden])', { timeout: 20_000 });
  expect(errors).toEqual([]);
  await context.close();
});

it('signs nobody in when the spent link is opened again, and says why', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(link);
  await expect.poll(() => page.textContent('#sign-in-error'), { timeout: 20_000 }).toMatch(/used already/);
  expect(await page.isVisible('#sign-in')).toBe(true);
  expect(await page.isVisible('#workspace')).toBe(false);
  expect(page.url()).toBe(`${server.url}/`);
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  await context.close();
});
