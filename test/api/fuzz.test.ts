// Property-based fuzzing of the API's input (fast-check): form fields, raw multipart bodies and
// image bytes. Every answer must be a clean envelope with a documented code and a matching HTTP
// status, the server must stay up, and its memory must not grow without bound.
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DISTRIBUTED, signIn, startServer, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';
import { Errors } from '../../src/contract/errors.js';

// The codes of the error catalog (docs/API.md "Envelope and error codes" lists the same, checked by
// test/architecture/api-doc.test.ts) with their HTTP statuses, and success.
const DOCUMENTED: Record<number, number[]> = { 200: [200] };
for (const entry of Object.values(Errors)) (DOCUMENTED[entry.code] ??= []).push(entry.status);
const FIELDS = [
  'image_url',
  'model_type',
  'rmbg',
  'degree_rmbg',
  'response_format',
  'format',
  'callback_url',
  'height_relief',
  'width',
  'shape_base',
  'thickness_base',
  'sculpmode',
];
const VALUES = [
  'pro',
  'base',
  '0',
  '1',
  '2',
  '6',
  '0.5',
  '1.3',
  '40',
  '-1',
  '1e309',
  'NaN',
  '',
  ' ',
  'url',
  'http://x',
  '\u0000',
  '💥',
  '9'.repeat(400),
];
const PHOTO = readPhoto('opencv_orange.jpg');

let server: TestServer;
let accessToken: string;
const tally = { cases: 0, undocumented: 0, crashed: 0 };

function rssKb(): number {
  const status = readFileSync(`/proc/${server.process.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)![1]);
}

async function check(response: Response): Promise<void> {
  tally.cases++;
  const text = await response.text();
  let body: { code?: unknown; data?: unknown; msg?: unknown };
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    tally.undocumented++;
    throw new Error(`not JSON (HTTP ${response.status}): ${text.slice(0, 120)}`);
  }
  const statuses = DOCUMENTED[body.code as number];
  if (!statuses?.includes(response.status) || typeof body.msg !== 'string' || typeof body.data !== 'object' || /\n\s+at /.test(body.msg)) {
    tally.undocumented++;
    throw new Error(`undocumented answer: HTTP ${response.status} ${text.slice(0, 200)}`);
  }
}

beforeAll(async () => {
  // A high rate limit: the fuzzer is one client sending thousands of requests.
  server = await startServer({
    role: DISTRIBUTED ? 'api' : 'all',
    env: { DEPTHMILL_RATE_LIMIT: '1000000', DEPTHMILL_SIGNIN_RATE_LIMIT: '1000000', DEPTHMILL_CONCURRENCY: '1' },
  });
  ({ accessToken } = await signIn(server));
});

afterAll(async () => {
  console.log(`fuzz: ${tally.cases} cases, ${tally.undocumented} undocumented answers, ${tally.crashed} crashes`);
  await server?.stop();
});

const imageBytes = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc.integer({ min: 0, max: PHOTO.length }).map((end) => PHOTO.subarray(0, end)), // truncated
  fc.tuple(fc.integer({ min: 0, max: PHOTO.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, value]) => {
    const copy = Buffer.from(PHOTO);
    copy[at] = value; // corrupted
    return copy;
  }),
  fc.uint8Array({ maxLength: 512 }).map((tail) => Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), tail])), // lying header
);

describe('create-task fuzzing', () => {
  it('answers 10,000 random forms with documented envelopes and stays up without leaking', async () => {
    const property = fc.asyncProperty(
      fc.dictionary(
        fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 20 })),
        fc.oneof(fc.constantFrom(...VALUES), fc.string({ maxLength: 50 })),
        { maxKeys: 8 },
      ),
      fc.option(imageBytes, { freq: 3 }),
      fc.boolean(),
      async (fields, image, authenticated) => {
        const body = new FormData();
        for (const [name, value] of Object.entries(fields)) body.append(name, value);
        if (image) body.append('image', new Blob([image]), 'x.jpg');
        const response = await fetch(`${server.url}/open-api/v1/depth/create-task`, {
          method: 'POST',
          headers: authenticated ? { authorization: `Bearer ${accessToken}` } : {},
          body,
        });
        await check(response);
      },
    );
    // Two halves: the first warms everything up (models loaded on the worker threads, ONNX Runtime
    // arenas, caches); a leak shows as growth over the second.
    await fc.assert(property, { numRuns: 5_000, seed: 1 });
    const rssHalfway = rssKb();
    await fc.assert(property, { numRuns: 5_000, seed: 2 });
    expect(server.process.exitCode).toBeNull();
    const growthMb = (rssKb() - rssHalfway) / 1024;
    console.log(
      `fuzz: server RSS ${(rssHalfway / 1024).toFixed(0)} MB after 5,000 forms, grew ${growthMb.toFixed(0)} MB over the next 5,000`,
    );
    expect(growthMb).toBeLessThan(150);
  }, 600_000);

  it('answers raw, malformed multipart bodies and query strings with documented envelopes', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 1024 }),
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 60 }),
        async (bytes, boundary, query) => {
          await check(
            await fetch(`${server.url}/open-api/v1/depth/create-task`, {
              method: 'POST',
              headers: {
                authorization: `Bearer ${accessToken}`,
                'content-type': `multipart/form-data; boundary=${encodeURIComponent(boundary) || 'x'}`,
              },
              body: bytes,
            }),
          );
          await check(
            await fetch(`${server.url}/open-api/v1/depth/query-task?task_id=${encodeURIComponent(query)}`, {
              headers: { authorization: `Bearer ${accessToken}` },
            }),
          );
        },
      ),
      { numRuns: 1000 },
    );
    expect(server.process.exitCode).toBeNull();
  }, 600_000);

  it('answers raw download paths and sign-in bodies, stray % and all, with documented envelopes', async () => {
    // Path characters as sent, unencoded: %, %XX, truncated escapes, slashes, dots, non-ASCII.
    // (Dot segments that climb out of /files/ are resolved by the URL parser to other routes: left out.)
    const pathPart = fc
      .stringMatching(/^[A-Za-z0-9%./_~-]{0,40}$/)
      .filter((path) => new URL(`http://host/files/${path}`).pathname.startsWith('/files/'));
    await fc.assert(
      fc.asyncProperty(
        pathPart,
        fc.stringMatching(/^[0-9a-z%&=]{0,40}$/),
        fc.uint8Array({ maxLength: 4096 }),
        async (path, query, body) => {
          await check(await fetch(`${server.url}/files/${path}?${query}`));
          await check(
            await fetch(`${server.url}/open-api/v1/auth/token`, {
              method: 'POST',
              headers: { 'content-type': 'application/octet-stream' },
              body,
            }),
          );
        },
      ),
      { numRuns: 300 },
    );
    expect(server.output()).not.toMatch(/URIError|unexpected error/);
  }, 300_000);
});
