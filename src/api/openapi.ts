// The OpenAPI 3.1 document of the depth API at /openapi.json, rendered at /docs by Swagger UI
// (@fastify/swagger-ui, served locally). The create-task form is generated from the very zod
// schema that validates requests (create-task-schema.ts); the error codes come from the catalog.
import { createRequire } from 'node:module';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { formatCodeList, OUTPUT_FORMAT_TABLE } from '../contract/formats.js';
import { SIGNATURE_HEADER } from '../contract/callback-signature.js';
import { DOWNLOAD_PREFIX } from '../tasks/signed-links.js';
import { createTaskFields } from '../contract/create-task-schema.js';
import { Errors } from '../contract/errors.js';

type Json = Record<string, unknown>;
type FieldName = keyof z.input<typeof createTaskFields>;

const formatList = formatCodeList();

/** What each field means, for people; its type, values, range and default come from the schema. */
const FIELD_DOCS: Record<FieldName, string> = {
  image_url: 'http(s) URL of a png, jpeg or webp image (at most {max-image-size}), fetched by the server. Send either `image` or `image_url`.',
  model_type: '`pro`: output long side 2048 px; `base`: 1024 px. The aspect ratio is kept.',
  rmbg: 'Remove the background: `1` gives background pixels depth 0 and alpha 0.',
  degree_rmbg: 'How much background removal removes: a bias on the subject cut, higher removes more, lower keeps more (0.02, the default, is neutral).',
  response_format: 'How query-task returns the result: a signed download link.',
  format: `Output format: ${formatList}. Depth maps: near 1.0 (bright), far 0.0. Reliefs: a closed millimetre mesh.`,
  callback_url: 'http(s) URL that receives the query-task body (JSON, signed) when the task succeeds or fails.',
  height_relief: 'Relief height in millimetres (meshes only).',
  width: 'Physical width (X extent) of the relief in millimetres (meshes only).',
  shape_base: 'Base plate shape: `0` square, `1` circle (meshes only).',
  thickness_base: 'Base plate thickness in millimetres (meshes only).',
  sculpmode: '`0` emboss (near parts stand out), `1` engrave (near parts are cut in) (meshes only).',
  relief_detail:
    'How much the relief is shaped to be read at a few millimetres (meshes only): `0` the depth map scaled as it is; higher flattens large depth steps and raises the small shape (a face, folds, petals) against them. Beyond Hitem3D.',
  relief_smooth: 'Shape finer than this many millimetres is smoothed away as photo texture, not shape (meshes only; `0` keeps it). Beyond Hitem3D.',
  min_feature:
    'The narrowest part, in millimetres, a relief keeps (meshes only): thinner parts of a cut-out (antennae, whiskers, hair strands) are dropped, and so are pieces smaller than a square of this side. Default two 0.4 mm nozzle widths; `0` keeps everything. Beyond Hitem3D.',
  relief_mode:
    '`relief` (the default): the depth relief. `lithophane`: a plate for back-lit prints whose thickness follows the photo\'s lightness, dark = thick (`litho_max`), light = thin (`litho_min`); no depth model runs. Only with `format` 3, 4 or 5. A lithophane is always the whole photo as a flat plate (`shape_base` square or circle still applies, `width` is its X extent): it ignores `rmbg`, `height_relief`, `thickness_base`, `sculpmode`, `relief_detail`, `relief_smooth` and `min_feature`; not with `mask`, `subject_box` or `depth_map`. Beyond Hitem3D.',
  litho_min: 'Lithophanes (`relief_mode=lithophane`): the thickness in millimetres of the lightest part of the photo. Must be less than `litho_max`. Beyond Hitem3D.',
  litho_max: 'Lithophanes (`relief_mode=lithophane`): the thickness in millimetres of the darkest part of the photo and of the frame. Must be more than `litho_min`. Beyond Hitem3D.',
  litho_frame: 'Lithophanes (`relief_mode=lithophane`): millimetres of full-thickness (`litho_max`) border around the picture, inside `width`; `0` none. Beyond Hitem3D.',
  subject_box:
    'Where the subject is, to correct the background removal: `x0,y0,x1,y1`, the left, top, right and bottom of a box as shares (0..1) of the photo\'s width and height (top left origin), with x0 < x1 and y0 < y1, e.g. `0.1,0.05,0.6,1`. Outside the box is background. Only with `rmbg=1`. Beyond Hitem3D.',
};

const MASK_DOC =
  'Your own background mask, replacing the mask model\'s: a png, jpeg or webp image of the same photo at any resolution (the same proportions), whose alpha channel (when it has transparency), else its grey level, is the foreground (white or opaque = keep). At most {max-image-size}. Only with `rmbg=1`. A mask of other proportions fails the task (5001001, saying so). Beyond Hitem3D.';

const DEPTH_MAP_DOC =
  'A depth map you already have (ComfyUI, Blender, a phone\'s depth camera), made into a relief without the depth model, instead of `image` or `image_url` (send exactly one of the three). A PNG, 8 or 16-bit: grey, grey + alpha, or RGB(A) whose first channel is the depth; or an OpenEXR file (single-part scanline, half or float, compression none, zips or zip; channel Y, else Z, else R; optional A). Near = bright (larger); depth is stretched to 0..1 over the footprint. Alpha >= 0.5 is the footprint with `rmbg=1` (the default); `rmbg=0` ignores the alpha (a plate over the whole image). Only with `format` 3, 4 or 5; not with `mask` or `subject_box`; at most {max-image-size} and the pixel limit. Beyond Hitem3D.';

interface PropertySchema {
  type?: string;
  enum?: unknown[];
  pattern?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  description?: string;
  [key: string]: unknown;
}

/**
 * The multipart form of create-task. The wire schema (io: input) says what is sent: strings, enums,
 * the decimal pattern. Numeric ranges and defaults live after the string-to-number step, so they
 * are read from the output side and stated on the string (as a description and `x-minimum`/`x-maximum`).
 */
export function createTaskFormSchema(): Json {
  const wire = z.toJSONSchema(createTaskFields, { io: 'input', unrepresentable: 'any' }) as { properties: Record<string, PropertySchema>; required?: string[] };
  const parsed = z.toJSONSchema(createTaskFields, { io: 'output', unrepresentable: 'any' }) as { properties: Record<string, PropertySchema> };
  const properties: Record<string, PropertySchema> = {
    image: { type: 'string', format: 'binary', description: 'The photo: png, jpeg or webp (decided by content), at most {max-image-size}, one file. Send either `image` or `image_url`.' },
    mask: { type: 'string', format: 'binary', description: MASK_DOC },
    depth_map: { type: 'string', format: 'binary', description: DEPTH_MAP_DOC },
  };
  for (const [name, schema] of Object.entries(wire.properties)) {
    const after = parsed.properties[name] ?? {};
    const property: PropertySchema = { ...schema, description: FIELD_DOCS[name as FieldName] };
    if (after.type === 'number') {
      property['x-minimum'] = after.minimum;
      property['x-maximum'] = after.maximum;
      property.description += ` A decimal number from ${after.minimum} to ${after.maximum}.`;
    }
    if (property.default === undefined && after.default !== undefined) property.default = String(after.default);
    if (name.endsWith('_url')) property.format = 'uri';
    properties[name] = property;
  }
  return { type: 'object', properties, required: wire.required ?? [] };
}

/** Documentation of the answers (nothing validates these: they describe what the routes send). */
const envelope = (data: z.ZodType, description: string) =>
  z.object({ code: z.number().int().describe('200 on success; see the error codes'), data, msg: z.string().describe('success, or what went wrong') }).describe(description);

const tokenData = z.object({ accessToken: z.string().describe('JWT, valid 24 hours'), tokenType: z.literal('Bearer'), nonce: z.string() });
const createdData = z.object({ task_id: z.string().describe('like depth_20260312_8f92ab3e1cde') });
const taskData = z.object({
  task_id: z.string(),
  state: z.enum(['created', 'queueing', 'processing', 'success', 'failed']).describe('in this order'),
  id: z.string().optional().describe('`<task_id>_0`, on success'),
  url: z.string().optional().describe('signed download link, valid one hour (ask again for a fresh one), on success'),
  depth_model: z.string().optional().describe('the depth model that made the result, like `fastdepth` (`npx depthmill models list`), on success; beyond Hitem3D'),
  mesh: z
    .object({
      triangles: z.number().int().describe('triangles in the mesh'),
      shells: z.number().int().describe('separate closed parts: 1 for a plate; a cut-out has one per piece the background removal left, each standing on the bed'),
    })
    .optional()
    .describe('relief formats (3, 4, 5), on success: what the mesh is made of; beyond Hitem3D'),
});

function schemaOf(type: z.ZodType): Json {
  const { $schema: _ignored, ...schema } = z.toJSONSchema(type, { io: 'output' }) as Json;
  return schema;
}

type CatalogEntry = (typeof Errors)[keyof typeof Errors];

/** One row per code (each has one HTTP status), with every message it is used with. */
function errorCodesTable(): string {
  const rows = new Map<string, string[]>();
  for (const entry of Object.values(Errors) as CatalogEntry[]) {
    const key = `| ${entry.code} | ${entry.status} |`;
    rows.set(key, [...(rows.get(key) ?? []), entry.message]);
  }
  return ['| code | HTTP | message |', '| --- | --- | --- |', ...[...rows].map(([key, messages]) => `${key} ${messages.join('; ')} |`)].join('\n');
}

const jsonAnswer = (ref: string, description: string) => ({ description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } } });

/** Error answers keyed by HTTP status, described from the catalog entries the route throws. */
function errorAnswers(...entries: (CatalogEntry | undefined)[]): Record<string, ReturnType<typeof jsonAnswer>> {
  const byStatus = new Map<number, string[]>();
  for (const entry of entries) if (entry) byStatus.set(entry.status, [...(byStatus.get(entry.status) ?? []), `${entry.code}: ${entry.message}`]);
  return Object.fromEntries([...byStatus].map(([status, lines]) => [String(status), jsonAnswer('Error', lines.join('; '))]));
}

function buildDocument(): Json {
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
    tags: [{ name: 'auth' }, { name: 'depth' }],
    paths: {
      '/open-api/v1/auth/token': {
        post: {
          tags: ['auth'],
          operationId: 'getToken',
          summary: 'Exchange client credentials for an access token',
          description: 'Basic authentication with `client_id:client_secret`; the body may be empty or `{}`. Credentials come from `depthmill clients create <name>`.',
          security: [{ clientCredentials: [] }],
          responses: {
            '200': jsonAnswer('TokenAnswer', 'the token, valid 24 hours'),
            ...errorAnswers(Errors.invalidCredentials, Errors.rateLimited),
          },
        },
      },
      '/open-api/v1/depth/create-task': {
        post: {
          tags: ['depth'],
          operationId: 'createTask',
          summary: 'Start a depth map or relief task',
          description: 'A known field with a bad value is refused with 40020003 naming the field and its allowed values; unknown fields are ignored.',
          security: [{ bearer: [] }],
          requestBody: {
            required: true,
            content: { 'multipart/form-data': { schema: { $ref: '#/components/schemas/CreateTaskForm' }, encoding: { image: { contentType: 'image/png, image/jpeg, image/webp' }, mask: { contentType: 'image/png, image/jpeg, image/webp' }, depth_map: { contentType: 'image/png, image/x-exr' } } } },
          },
          responses: {
            '200': jsonAnswer('CreateTaskAnswer', 'the task was accepted'),
            ...errorAnswers(
              ...(Object.values(Errors) as CatalogEntry[]).filter((entry) => String(entry.code).startsWith('4002') && entry !== Errors.taskIdMissing),
              Errors.unauthorized,
              Errors.concurrencyLimit,
              Errors.rateLimited,
            ),
          },
          callbacks: {
            taskFinished: {
              '{$request.body#/callback_url}': {
                post: {
                  summary: 'The finished task, as query-task answers it',
                  description: `Sent on success and on failure, at least once, retried with backoff for about an hour. Verify \`${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex>\`: HMAC-SHA256 of "<t>.<raw body>" under HMAC-SHA256(client_secret, "depthmill-callback-v1") (hex), e.g. with verifyCallback from depthmill/client.`,
                  parameters: [{ name: SIGNATURE_HEADER, in: 'header', required: true, schema: { type: 'string' } }],
                  requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/QueryTaskAnswer' } } } },
                  responses: { '200': { description: 'any 2xx acknowledges the delivery' } },
                },
              },
            },
          },
        },
      },
      '/open-api/v1/depth/query-task': {
        get: {
          tags: ['depth'],
          operationId: 'queryTask',
          summary: "A task's state, and its download link once it succeeded",
          description: 'A failed task answers HTTP 200 with code 5001001, the reason in `msg` and `data = {task_id, state: "failed"}`.',
          security: [{ bearer: [] }],
          parameters: [{ name: 'task_id', in: 'query', required: true, schema: { type: 'string' }, description: 'from create-task' }],
          responses: {
            '200': jsonAnswer('QueryTaskAnswer', 'the task (code 200), or a failed task (code 5001001)'),
            ...errorAnswers(Errors.taskIdMissing, Errors.unauthorized, Errors.taskNotFound, Errors.taskExpired, Errors.rateLimited),
          },
        },
      },
      [`${DOWNLOAD_PREFIX}{key}`]: {
        get: {
          tags: ['depth'],
          operationId: 'download',
          summary: 'Download a result by the signed link query-task gave',
          description: 'Use the `url` from query-task as it is; it is valid one hour.',
          security: [],
          parameters: [
            { name: 'key', in: 'path', required: true, schema: { type: 'string' } },
            { name: 'expires', in: 'query', required: true, schema: { type: 'string' } },
            { name: 'signature', in: 'query', required: true, schema: { type: 'string' } },
          ],
          responses: {
            '200': {
              description: 'the file',
              content: Object.fromEntries(OUTPUT_FORMAT_TABLE.map((row) => [row.mediaType, { schema: { type: 'string', format: 'binary' } }])),
            },
            ...errorAnswers(Errors.linkInvalid, Errors.taskExpired),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        clientCredentials: { type: 'http', scheme: 'basic', description: 'client_id and client_secret' },
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: 'accessToken from /open-api/v1/auth/token' },
      },
      schemas: {
        CreateTaskForm: createTaskFormSchema(),
        TokenAnswer: schemaOf(envelope(tokenData, 'token answer')),
        CreateTaskAnswer: schemaOf(envelope(createdData, 'create-task answer')),
        QueryTaskAnswer: schemaOf(envelope(taskData, 'query-task answer (also the callback body)')),
        Error: schemaOf(envelope(z.object({}).catchall(z.unknown()), 'an error: code and msg say what went wrong')),
      },
    },
  };
}

const cache = new Map<number, Json>();

/**
 * The document for a server whose uploads may be `maxImageBytes` (DEPTHMILL_MAX_IMAGE_BYTES): the
 * descriptions say that size, and the file fields carry it as `x-max-bytes` (the web UI's check).
 */
export function openApiDocument(maxImageBytes: number): Json {
  let document = cache.get(maxImageBytes);
  if (!document) {
    const size = `${Math.round((maxImageBytes / (1024 * 1024)) * 10) / 10} MB`;
    document = JSON.parse(JSON.stringify(buildDocument()).replaceAll('{max-image-size}', size)) as Json;
    const form = (document.components as { schemas: { CreateTaskForm: { properties: Record<string, Json> } } }).schemas.CreateTaskForm;
    for (const field of ['image', 'mask', 'depth_map']) form.properties[field]!['x-max-bytes'] = maxImageBytes;
    cache.set(maxImageBytes, document);
  }
  return document;
}

/**
 * /openapi.json (what the web UI reads its fields' defaults and ranges from) and /docs: Swagger UI
 * over the same document, its files served from the package (it works offline; no CDN).
 */
export async function registerOpenApi(app: FastifyInstance, maxImageBytes: number): Promise<void> {
  const document = openApiDocument(maxImageBytes);
  app.get('/openapi.json', async (_request, reply) => reply.header('cache-control', 'no-cache').send(document));
  await app.register(swagger, { mode: 'static', specification: { document: document as never } });
  await app.register(swaggerUi, {
    routePrefix: '/docs',
    // No call to the public validator badge: the page reaches nothing but this server.
    uiConfig: { validatorUrl: null, docExpansion: 'list', deepLinking: true, defaultModelsExpandDepth: 0 },
    // Its own policy, narrowed to this server (no https: sources) and with the inline styles Swagger
    // UI sets on its elements allowed.
    staticCSP: true,
    transformStaticCSP: (header) => header.replaceAll(' https:', '').replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
  });
}
