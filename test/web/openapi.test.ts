// /openapi.json and /docs, from the real server: generated from the routes' schemas and the one
// that validates create-task, complete, and consistent with what the server accepts and answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { createTaskFields } from '../../src/contract/create-task-schema.js';
import { Errors } from '../../src/contract/errors.js';
import {
  BalanceAnswer,
  CreateTaskAnswer,
  DepthModelsAnswer,
  ErrorAnswer,
  QueryTaskAnswer,
  SignInLinkAnswer,
  TokenAnswer,
} from '../../src/api/route-schemas.js';
import { basic, createTask, form, queryTask, requestToken, token, waitForTask } from '../helpers/api.js';
import { createClientCredentials, printedWebUi, startServer, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

interface Property {
  type?: string;
  enum?: string[];
  default?: string;
  pattern?: string;
  format?: string;
  'x-minimum'?: number;
  'x-maximum'?: number;
  description?: string;
}

let server: TestServer;
let document: Record<string, unknown>;

beforeAll(async () => {
  server = await startServer();
  const response = await fetch(`${server.url}/openapi.json`);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  document = (await response.json()) as Record<string, unknown>;
});

afterAll(async () => {
  await server?.stop();
});

function formSchema() {
  return (document.components as { schemas: { CreateTaskForm: { properties: Record<string, Property>; required: string[] } } }).schemas
    .CreateTaskForm;
}

describe('OpenAPI document', () => {
  it('describes every route, with schemes and answers', () => {
    expect(document.openapi).toBe('3.1.0');
    const paths = document.paths as Record<string, Record<string, { responses: Record<string, unknown>; operationId: string }>>;
    expect(Object.keys(paths).sort()).toEqual([
      '/files/{key}',
      '/healthz',
      '/metrics',
      '/open-api/v1/auth/link',
      '/open-api/v1/auth/token',
      '/open-api/v1/balance',
      '/open-api/v1/depth/create-task',
      '/open-api/v1/depth/models',
      '/open-api/v1/depth/query-task',
      '/open-api/v1/query-task',
      '/readyz',
    ]);
    expect(
      Object.values(paths)
        .flatMap((methods) => Object.values(methods).map((operation) => operation.operationId))
        .sort(),
    ).toEqual([
      'createTask',
      'download',
      'getBalance',
      'getDepthModels',
      'getToken',
      'health',
      'metrics',
      'queryAnyTask',
      'queryTask',
      'ready',
      'redeemSignInLink',
    ]);

    // Every reference points at something.
    const refs = JSON.stringify(document).match(/"\$ref":"[^"]+"/g) ?? [];
    expect(refs.length).toBeGreaterThan(5);
    for (const ref of refs) {
      const path = ref.slice('"$ref":"#/'.length, -1).split('/');
      expect(
        path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], document),
        ref,
      ).toBeDefined();
    }
    // Every error code of the catalog is listed.
    const description = (document.info as { description: string }).description;
    for (const entry of Object.values(Errors)) expect(description).toContain(`| ${entry.code} | ${entry.status} |`);
  });

  it("has create-task's form exactly as the validating schema has it", () => {
    const { properties, required } = formSchema();
    expect(Object.keys(properties).sort()).toEqual(['image', 'mask', 'depth_map', ...Object.keys(createTaskFields.shape)].sort());
    expect(required).toEqual(['format']);
    expect(properties.image).toMatchObject({ type: 'string', format: 'binary' });
    expect(properties.format!.enum).toEqual(['1', '2', '3', '4', '5', '6', '7']);
    expect(properties.model_type).toMatchObject({ enum: ['pro', 'base'], default: 'pro' });
    expect(properties.rmbg).toMatchObject({ enum: ['0', '1'], default: '1' });
    expect(properties.width).toMatchObject({ type: 'string', default: '40', 'x-minimum': 20, 'x-maximum': 600 });
    expect(properties.height_relief).toMatchObject({ default: '1.3', 'x-minimum': 0.1, 'x-maximum': 50 });
    expect(properties.degree_rmbg).toMatchObject({ default: '0.02', 'x-minimum': 0, 'x-maximum': 1 });
    expect(properties.callback_url).toMatchObject({ format: 'uri' });
    // Beyond Hitem3D: the user's corrections to the background removal.
    expect(properties.mask).toMatchObject({ type: 'string', format: 'binary' });
    expect(properties.depth_map).toMatchObject({ type: 'string', format: 'binary' });
    expect(properties.subject_box).toMatchObject({ type: 'string' });
    expect(properties.subject_box!.description).toMatch(/x0,y0,x1,y1/);
    expect(new RegExp(properties.subject_box!.pattern!).test('0.1,0,0.6,1')).toBe(true);
    for (const [name, property] of Object.entries(properties)) expect(property.description, name).toBeTruthy();
  });

  it('states the ranges the server enforces', async () => {
    const { clientId, clientSecret } = createClientCredentials(server.dataDir, 'docs');
    const accessToken = await token(server.url, clientId, clientSecret);
    const { properties } = formSchema();
    for (const name of ['width', 'height_relief', 'thickness_base', 'degree_rmbg']) {
      const above = String(properties[name]!['x-maximum']! + 1);
      const refused = await createTask(server.url, accessToken, form({ format: '3', [name]: above }, [{ bytes: Buffer.from('unused') }]));
      expect(refused.body.code, name).toBe(40020003);
      expect(refused.body.msg).toContain(
        `${name} must be a number from ${properties[name]!['x-minimum']} to ${properties[name]!['x-maximum']}`,
      );
    }
  });
});

describe('answers as the document describes them', () => {
  /** The answer parses with the route's documented schema, and nothing in it is left undocumented. */
  function expectDocumented(schema: z.ZodType, answer: unknown) {
    const parsed = schema.safeParse(answer);
    expect(parsed.error).toBeUndefined();
    expect(parsed.data).toEqual(answer); // an undocumented field would have been stripped
  }

  it('token, create-task, query-task (queued, finished with a mesh), balance and errors', async () => {
    const { clientId, clientSecret } = createClientCredentials(server.dataDir, 'answers');
    const signedIn = await requestToken(server.url, basic(clientId, clientSecret));
    expectDocumented(TokenAnswer, signedIn.body);
    const { accessToken } = signedIn.body.data;
    const photo = readPhoto('opencv_apple.jpg');
    const created = await createTask(server.url, accessToken, form({ format: '3', model_type: 'base' }, [{ bytes: photo }]));
    expectDocumented(CreateTaskAnswer, created.body);
    const taskId = created.body.data.task_id;
    expectDocumented(QueryTaskAnswer, (await queryTask(server.url, accessToken, taskId)).body);
    const done = await waitForTask(server.url, accessToken, taskId);
    expect(done.body.data).toHaveProperty('mesh.shells');
    expectDocumented(QueryTaskAnswer, done.body);

    const balance = await fetch(`${server.url}/open-api/v1/balance`, { headers: { authorization: `Bearer ${accessToken}` } });
    expectDocumented(BalanceAnswer, await balance.json());

    const missing = await queryTask(server.url, accessToken);
    expect(missing.body.code).toBe(Errors.taskIdMissing.code);
    expectDocumented(ErrorAnswer, missing.body);
    // The parameters are checked after the token, as before the schemas checked them.
    expect((await queryTask(server.url, undefined)).body.code).toBe(Errors.unauthorized.code);
    const badLink = await fetch(`${server.url}/files/results/${taskId}.stl?expires=soon`);
    expect(badLink.status).toBe(403);
    expectDocumented(ErrorAnswer, await badLink.json());

    const models = await fetch(`${server.url}/open-api/v1/depth/models`, { headers: { authorization: `Bearer ${accessToken}` } });
    expectDocumented(DepthModelsAnswer, await models.json());
  });

  it('the sign-in link, its token and its refusal', async () => {
    const secret = new URLSearchParams(new URL(await printedWebUi(server)).hash.slice(1)).get('signin')!;
    const redeem = () => fetch(`${server.url}/open-api/v1/auth/link`, { method: 'POST', headers: { authorization: `Bearer ${secret}` } });
    const signedIn = await redeem();
    expect(signedIn.status).toBe(200);
    expectDocumented(SignInLinkAnswer, await signedIn.json());
    const spent = await redeem();
    expect(spent.status).toBe(Errors.invalidCredentials.status);
    expectDocumented(ErrorAnswer, await spent.json());
  });
});

describe('/docs and the static UI', () => {
  it('serves Swagger UI over the same document, from its own files only', async () => {
    const response = await fetch(`${server.url}/docs`, { redirect: 'follow' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    // Nothing from elsewhere: every asset is under /docs/static, and the policy names no other origin.
    const policy = response.headers.get('content-security-policy') ?? '';
    expect(policy).toMatch(/default-src 'self'/);
    expect(policy).not.toMatch(/https?:/);
    // Not over plain HTTP: the browser would fetch the page's files over HTTPS from this HTTP port,
    // and the page would be blank on any address but loopback (tls.test.ts: kept over HTTPS).
    expect(policy).not.toMatch(/upgrade-insecure-requests/);
    const html = await response.text();
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//i);
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    expect(assets.length).toBeGreaterThan(3);
    for (const asset of assets) {
      expect(asset).toMatch(/^\/docs\/static\//);
      expect((await fetch(`${server.url}${asset}`)).status, asset).toBe(200);
    }
    // The page shows the document /openapi.json serves (the web UI reads its fields from it).
    const shown = (await (await fetch(`${server.url}/docs/json`)).json()) as Record<string, unknown>;
    expect(shown).toEqual(document);
    const described = JSON.stringify(shown);
    for (const entry of Object.values(Errors)) expect(described).toContain(`| ${entry.code} | ${entry.status} |`);
  });

  it('serves the UI at / and leaves other paths to the API', async () => {
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toMatch(/default-src 'self'/);
    const html = await page.text();
    expect(html).toMatch(/<title>Depthmill/);
    const script = /<script type="module" crossorigin src="([^"]+)"/.exec(html)?.[1];
    expect(script).toMatch(/^\/assets\/.+\.js$/);
    const asset = await fetch(`${server.url}${script}`);
    expect(asset.status).toBe(200);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);

    for (const path of ['/nope', '/assets/missing.js']) {
      const missing = await fetch(`${server.url}${path}`);
      expect(missing.status).toBe(404);
      expect(await missing.json()).toMatchObject({ code: 404 });
    }
  });
});

describe('the upload limit in the document', () => {
  it('says the size the server takes (DEPTHMILL_MAX_IMAGE_BYTES), in words and as x-max-bytes', async () => {
    expect(JSON.stringify(document)).toContain('at most 20 MB');
    expect((formSchema().properties.image as Property & { 'x-max-bytes'?: number })['x-max-bytes']).toBe(20 * 1024 * 1024);
    const small = await startServer({ env: { DEPTHMILL_MAX_IMAGE_BYTES: String(5 * 1024 * 1024) } });
    try {
      const text = await (await fetch(`${small.url}/openapi.json`)).text();
      expect(text).toContain('at most 5 MB');
      expect(text).not.toContain('20 MB');
      const properties = (
        JSON.parse(text) as { components: { schemas: { CreateTaskForm: { properties: Record<string, { 'x-max-bytes'?: number }> } } } }
      ).components.schemas.CreateTaskForm.properties;
      expect([properties.image?.['x-max-bytes'], properties.mask?.['x-max-bytes'], properties.depth_map?.['x-max-bytes']]).toEqual([
        5 * 1024 * 1024,
        5 * 1024 * 1024,
        5 * 1024 * 1024,
      ]);
    } finally {
      await small.stop();
    }
  });
});
