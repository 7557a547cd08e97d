// The OpenAPI 3.1 document of the depth API at /openapi.json, rendered at /docs by Swagger UI
// (@fastify/swagger-ui, served locally). The paths come from the routes' own schemas
// (route-schemas.ts) through @fastify/swagger and the zod type provider; this file adds what is
// about the whole API: the introduction with the catalog's error codes, the security schemes, the
// create-task form, and the upload limit this server is configured with.
import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, validatorCompiler } from 'fastify-type-provider-zod';
import { Errors, type ErrorEntry } from '../contract/errors.js';
import { FILE_FIELDS } from '@depthmill/client/contract';
import { DOWNLOAD_PREFIX } from '../tasks/signed-links.js';
import { createTaskCallbacks, createTaskFormSchema, createTaskRequestBody } from './route-schemas.js';

type Json = Record<string, unknown>;

/** One row per code (each has one HTTP status), with every message it is used with. */
function errorCodesTable(): string {
  const rows = new Map<string, string[]>();
  for (const entry of Object.values(Errors) as ErrorEntry[]) {
    const key = `| ${entry.code} | ${entry.status} |`;
    rows.set(key, [...(rows.get(key) ?? []), entry.message]);
  }
  return [
    '| code | HTTP | message |',
    '| --- | --- | --- |',
    ...[...rows].map(([key, messages]) => `${key} ${messages.join('; ')} |`),
  ].join('\n');
}

function documentBase(): Json {
  const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;
  return {
    openapi: '3.1.0',
    info: {
      title: 'Depthmill depth API',
      version,
      summary: 'One photo in, a depth map or a printable relief out (Hitem3D-compatible).',
      description: [
        'Every answer is the envelope `{"code", "data", "msg"}`; `code` 200 means success and the HTTP status matches the class of an error.',
        'Get a token with your client credentials, create a task, poll query-task until `success`, then download `url` (no token needed: the link is signed).',
        '',
        '### Error codes',
        '',
        errorCodesTable(),
      ].join('\n'),
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'this server' }],
    tags: [{ name: 'auth' }, { name: 'account' }, { name: 'depth' }, { name: 'operations' }],
    components: {
      securitySchemes: {
        clientCredentials: { type: 'http', scheme: 'basic', description: 'client_id and client_secret' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'accessToken from /open-api/v1/auth/token' },
        signInLink: {
          type: 'http',
          scheme: 'bearer',
          description: 'the one-time secret of the sign-in link a server on loopback prints at start (`#signin=<secret>`)',
        },
      },
    },
  };
}

/** The download route is a wildcard (a key may hold slashes): documented as one path parameter. */
const DOWNLOAD_ROUTE = `${DOWNLOAD_PREFIX}*`;
const DOWNLOAD_PATH = `${DOWNLOAD_PREFIX}{key}`;

/**
 * The generated document, finished for a server whose uploads may be `maxImageBytes`
 * (DEPTHMILL_MAX_IMAGE_BYTES): the descriptions say that size, and the file fields carry it as
 * `x-max-bytes` (the web UI's check).
 */
function finish(generated: Json, maxImageBytes: number): Json {
  const size = `${Math.round((maxImageBytes / (1024 * 1024)) * 10) / 10} MB`;
  const document = JSON.parse(JSON.stringify(generated)) as {
    paths: Record<string, Record<string, Json>>;
    components: { schemas: Record<string, Json> };
  };
  const createTask = document.paths['/open-api/v1/depth/create-task']!.post!;
  createTask.requestBody = createTaskRequestBody;
  createTask.callbacks = createTaskCallbacks;
  const form = createTaskFormSchema() as { properties: Record<string, Json> };
  for (const field of FILE_FIELDS) form.properties[field.name]!['x-max-bytes'] = maxImageBytes;
  document.components.schemas.CreateTaskForm = form;
  // The zod registry gives every named schema an input twin too; keep those something refers to.
  const text = JSON.stringify(document);
  for (const name of Object.keys(document.components.schemas)) {
    if (!text.includes(`"#/components/schemas/${name}"`) && name !== 'CreateTaskForm') delete document.components.schemas[name];
  }
  return JSON.parse(JSON.stringify(document).replaceAll('{max-image-size}', size)) as Json;
}

/**
 * Route schemas: zod validates the query strings, and answers are written as the handlers build
 * them (the answer schemas document; a serializer built from them would drop undocumented fields).
 * Then /openapi.json (what the web UI reads its fields' defaults and ranges from) and /docs:
 * Swagger UI over the same document, its files served from the package (offline; no CDN).
 * Register before the routes: @fastify/swagger collects them as they are added.
 */
export async function registerOpenApi(app: FastifyInstance, maxImageBytes: number, { https }: { https: boolean }): Promise<void> {
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  await app.register(swagger, {
    openapi: documentBase(),
    // Only the API's routes (they have tags): not /docs, /openapi.json or the web UI's files.
    hideUntagged: true,
    transform: (input) => {
      const transformed = jsonSchemaTransform(input);
      if (input.url !== DOWNLOAD_ROUTE) return transformed;
      const schema = transformed.schema as Json;
      schema.params = {
        type: 'object',
        properties: { key: { type: 'string', description: 'the result, as the link names it' } },
        required: ['key'],
      };
      return { schema: schema as never, url: DOWNLOAD_PATH };
    },
    transformObject: (input) => finish(jsonSchemaTransformObject(input) as Json, maxImageBytes) as never,
  });
  app.get('/openapi.json', async (_request, reply) => reply.header('cache-control', 'no-cache').send(app.swagger()));
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // No call to the public validator badge: the page reaches nothing but this server.
    uiConfig: { validatorUrl: null, docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0 },
    // Its own policy, narrowed to this server (no https: sources) and with the inline styles Swagger
    // UI sets on its elements allowed. Its `upgrade-insecure-requests` only where the server speaks
    // HTTPS: on a plain HTTP port the browser would fetch the page's scripts and styles over HTTPS
    // from that port and show a blank page (browsers spare only localhost). The page's sources are
    // all this origin, so over HTTPS (here or at a proxy in front) the directive changes nothing.
    staticCSP: true,
    transformStaticCSP: (header) => {
      const policy = header.replaceAll(' https:', '').replace("style-src 'self'", "style-src 'self' 'unsafe-inline'");
      return https ? policy : policy.replace(/\s*upgrade-insecure-requests;?/, '');
    },
  });
}
