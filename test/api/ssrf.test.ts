// SSRF: image_url and callback_url cannot reach what the server must not fetch. One case per
// bypass class, each refused with a clear error, and the allowlisted host accepted. A real image
// server listens on loopback the whole time, so a refusal is the guard's doing, not a dead port.
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, form, waitForTask } from '../helpers/api.js';
import { httpFixture, type Fixture } from '../helpers/http-fixture.js';
import { signIn, startServer, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

const PHOTO = readPhoto('opencv_apple.jpg');

let images: Fixture;
let port: string;
let server: TestServer;
let accessToken: string;

beforeAll(async () => {
  images = await httpFixture((request, _body, response) => {
    const path = request.url ?? '/';
    const hops = /^\/hop\/(\d+)$/.exec(path);
    const chain = /^\/chain\/(\d+)$/.exec(path);
    if (path === '/photo.jpg') response.writeHead(200).end(PHOTO);
    else if (path === '/to-loopback') response.writeHead(302, { location: `http://127.0.0.1:${port}/photo.jpg` }).end();
    else if (path === '/to-metadata') response.writeHead(301, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
    else if (hops) response.writeHead(302, { location: `/hop/${Number(hops[1]) + 1}` }).end();
    else if (chain) response.writeHead(302, { location: Number(chain[1]) < 3 ? `/chain/${Number(chain[1]) + 1}` : '/photo.jpg' }).end();
    else response.writeHead(404).end();
  });
  port = new URL(images.url).port;
  expect((await lookup(hostname())).address).toMatch(/^127\./);
  // Only the name "localhost" is trusted, as an operator would allowlist an internal image host.
  server = await startServer({ env: { DEPTHMILL_FETCH_ALLOWLIST: 'localhost' } });
  ({ accessToken } = await signIn(server));
});

afterAll(async () => {
  await server?.stop();
  await images?.close();
});

async function imageUrl(url: string) {
  return createTask(server.url, accessToken, form({ image_url: url, format: '2', model_type: 'base', rmbg: '0' }));
}

describe('image_url', () => {
  const refused: [string, () => string, RegExp][] = [
    ['loopback address', () => `http://127.0.0.1:${port}/photo.jpg`, /127\.0\.0\.1 is a loopback address/],
    ['decimal form of an address', () => `http://2130706433:${port}/photo.jpg`, /127\.0\.0\.1 is a loopback address/],
    ['octal form of an address', () => `http://0177.0.0.1:${port}/photo.jpg`, /127\.0\.0\.1 is a loopback address/],
    ['hex form of an address', () => `http://0x7f.0x0.0x0.0x1:${port}/photo.jpg`, /127\.0\.0\.1 is a loopback address/],
    ['short form of an address', () => `http://127.1:${port}/photo.jpg`, /127\.0\.0\.1 is a loopback address/],
    ['IPv6 loopback', () => `http://[::1]:${port}/photo.jpg`, /::1 is a loopback address/],
    ['IPv4-mapped IPv6', () => `http://[::ffff:127.0.0.1]:${port}/photo.jpg`, /is a loopback address/],
    ['private 10/8', () => 'http://10.0.0.7/photo.jpg', /private address/],
    ['private 172.16/12', () => 'http://172.16.5.4/photo.jpg', /private address/],
    ['private 192.168/16', () => 'http://192.168.1.1/photo.jpg', /private address/],
    ['link-local (cloud metadata)', () => 'http://169.254.169.254/latest/meta-data/', /link-local address/],
    ['CGNAT', () => 'http://100.64.0.1/photo.jpg', /CGNAT address/],
    ['multicast', () => 'http://224.0.0.1/photo.jpg', /multicast address/],
    ['reserved', () => 'http://240.0.0.1/photo.jpg', /reserved address/],
    ['unspecified 0.0.0.0', () => `http://0.0.0.0:${port}/photo.jpg`, /this network address/],
    ['IPv6 unique local', () => 'http://[fd00::1]/photo.jpg', /private \(unique local\) address/],
    ['IPv6 link-local', () => 'http://[fe80::1]/photo.jpg', /link-local address/],
    // This machine's own name resolves to a loopback address (checked in beforeAll).
    [
      'a name that resolves to loopback (DNS checked)',
      () => `http://${hostname()}:${port}/photo.jpg`,
      /resolves to 127\.\d+\.\d+\.\d+ \(loopback\)/,
    ],
    ['a redirect to loopback (each hop checked)', () => `http://localhost:${port}/to-loopback`, /127\.0\.0\.1 is a loopback address/],
    ['a redirect to the metadata address', () => `http://localhost:${port}/to-metadata`, /169\.254\.169\.254 is a link-local address/],
    ['more than 3 redirects', () => `http://localhost:${port}/hop/0`, /more than 3 redirects/],
    ['credentials in the URL', () => `http://user:pass@localhost:${port}/photo.jpg`, /credentials/],
  ];

  it.each(refused)('refuses %s', async (_label, url, reason) => {
    const result = await imageUrl(url());
    expect(result.status).toBe(400);
    expect(result.body.code).toBe(40020006);
    expect(result.body.msg).toMatch(/^invalid parameter: image_url is not allowed: /);
    expect(result.body.msg).toMatch(reason);
    // The operator's way out is named.
    expect(result.body.msg).toMatch(/DEPTHMILL_FETCH_ALLOWLIST\)$/);
  });

  it('refuses schemes other than http and https', async () => {
    for (const url of ['file:///etc/passwd', 'ftp://localhost/photo.jpg', 'gopher://localhost:70/_x']) {
      const result = await imageUrl(url);
      expect(result.body.code, url).toBe(40020003);
      expect(result.body.msg).toMatch(/image_url must be an http\(s\) URL/);
    }
  });

  it('accepts the allowlisted host, following up to 3 redirects', async () => {
    // /chain/1 -> /chain/2 -> /chain/3 -> /photo.jpg: three redirects.
    for (const url of [`http://localhost:${port}/photo.jpg`, `http://localhost:${port}/chain/1`]) {
      const created = await imageUrl(url);
      expect(created.body.code, created.body.msg).toBe(200);
      const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
      expect(done.body.data.state).toBe('success');
    }
  });
});

describe('callback_url', () => {
  it('refuses a callback to a blocked address when the task is created', async () => {
    for (const url of [`http://127.0.0.1:${port}/hook`, 'http://169.254.169.254/hook', 'http://[::1]/hook', 'http://10.1.2.3/hook']) {
      const result = await createTask(server.url, accessToken, form({ format: '2', callback_url: url }, [{ bytes: PHOTO }]));
      expect(result.status, url).toBe(400);
      expect(result.body.code).toBe(40020003);
      expect(result.body.msg).toMatch(/^invalid parameter: callback_url is not allowed: .*DEPTHMILL_FETCH_ALLOWLIST\)$/);
    }
  });

  it('refuses a callback to a name that resolves to loopback when the task is created, not at delivery', async () => {
    // This machine's own name resolves to a loopback address (checked in beforeAll).
    const result = await createTask(
      server.url,
      accessToken,
      form({ format: '2', callback_url: `http://${hostname()}:${port}/hook` }, [{ bytes: PHOTO }]),
    );
    expect(result.status).toBe(400);
    expect(result.body.code).toBe(40020003);
    expect(result.body.msg).toMatch(/^invalid parameter: callback_url is not allowed: .*resolves to 127\.\d+\.\d+\.\d+ \(loopback\)/);
    // The allowlisted name is still accepted.
    const allowed = await createTask(
      server.url,
      accessToken,
      form({ format: '2', callback_url: `http://localhost:${port}/hook` }, [{ bytes: PHOTO }]),
    );
    expect(allowed.body.code, allowed.body.msg).toBe(200);
  });
});
