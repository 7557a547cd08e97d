// The OpenAPI 3.1 document of the depth API at /openapi.json, and a self-contained page that
// renders it at /docs (no CDN, no script). The create-task form is generated from the very zod
// schema that validates requests (create-task-schema.ts); the error codes come from the catalog.
import { createRequire } from 'node:module';
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

// ---- /docs: the document as one HTML page, rendered here so it works offline and without script.

function escapeHtml(text: unknown): string {
  return String(text).replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** The little Markdown the descriptions use: `code`, and tables. */
function markdown(text: string): string {
  const inline = (line: string) => escapeHtml(line).replace(/`([^`]+)`/g, '<code>$1</code>');
  const out: string[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.startsWith('|')) {
      const rows: string[][] = [];
      while (i < lines.length && lines[i]!.startsWith('|')) {
        const cells = lines[i]!.split('|').slice(1, -1).map((cell) => cell.trim());
        if (!cells.every((cell) => /^-+$/.test(cell))) rows.push(cells);
        i++;
      }
      i--;
      const [head, ...body] = rows;
      out.push(`<table><thead><tr>${head!.map((cell) => `<th>${inline(cell)}</th>`).join('')}</tr></thead><tbody>${body.map((row) => `<tr>${row.map((cell) => `<td>${inline(cell)}</td>`).join('')}</tr>`).join('')}</tbody></table>`);
    } else if (line.startsWith('### ')) {
      out.push(`<h2>${inline(line.slice(4))}</h2>`);
    } else if (line.trim() !== '') {
      out.push(`<p>${inline(line)}</p>`);
    }
  }
  return out.join('\n');
}

function resolveRef(document: Json, schema: Json): Json {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  return ref
    .slice(2)
    .split('/')
    .reduce<Json>((node, key) => node[key] as Json, document);
}

function typeText(schema: PropertySchema): string {
  if (schema.enum) return schema.enum.map((value) => `<code>${escapeHtml(value)}</code>`).join(' | ');
  const range = schema['x-minimum'] !== undefined ? ` ${escapeHtml(schema['x-minimum'])}…${escapeHtml(schema['x-maximum'])}` : '';
  return `${escapeHtml(schema.format ?? schema.type ?? 'any')}${range}`;
}

function schemaTable(document: Json, schema: Json): string {
  const resolved = resolveRef(document, schema) as { properties?: Record<string, PropertySchema>; required?: string[] };
  const required = new Set(resolved.required ?? []);
  const rows = Object.entries(resolved.properties ?? {}).map(
    ([name, property]) =>
      `<tr><td><code>${escapeHtml(name)}</code>${required.has(name) ? ' <strong>required</strong>' : ''}</td><td>${typeText(property)}</td><td>${property.default === undefined ? '' : `<code>${escapeHtml(property.default)}</code>`}</td><td>${markdown(property.description ?? '')}</td></tr>`,
  );
  return `<table><thead><tr><th>field</th><th>values</th><th>default</th><th>meaning</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

interface Operation {
  summary?: string;
  description?: string;
  operationId?: string;
  security?: Record<string, unknown>[];
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: { content: Record<string, { schema: Json }> };
  responses: Record<string, { description: string; content?: Record<string, { schema: Json }> }>;
  callbacks?: Record<string, Record<string, Record<string, Operation>>>;
}

function operationHtml(document: Json, method: string, path: string, operation: Operation): string {
  const parts = [`<section class="op" id="${escapeHtml(operation.operationId ?? path)}"><h2><span class="method">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h2>`];
  if (operation.summary) parts.push(`<p class="summary">${escapeHtml(operation.summary)}</p>`);
  if (operation.description) parts.push(markdown(operation.description));
  const security = operation.security?.flatMap((entry) => Object.keys(entry)) ?? [];
  parts.push(`<p><strong>Authentication:</strong> ${security.length ? security.map((name) => (name === 'bearer' ? '<code>Authorization: Bearer &lt;accessToken&gt;</code>' : '<code>Authorization: Basic base64(client_id:client_secret)</code>')).join(', ') : 'none'}</p>`);
  if (operation.parameters?.length) {
    parts.push('<h3>Parameters</h3><table><thead><tr><th>name</th><th>in</th><th>meaning</th></tr></thead><tbody>');
    for (const parameter of operation.parameters) parts.push(`<tr><td><code>${escapeHtml(parameter.name)}</code>${parameter.required ? ' <strong>required</strong>' : ''}</td><td>${escapeHtml(parameter.in)}</td><td>${escapeHtml(parameter.description ?? '')}</td></tr>`);
    parts.push('</tbody></table>');
  }
  for (const [type, media] of Object.entries(operation.requestBody?.content ?? {})) {
    parts.push(`<h3>Request body <code>${escapeHtml(type)}</code></h3>${schemaTable(document, media.schema)}`);
  }
  parts.push('<h3>Responses</h3><ul>');
  for (const [status, response] of Object.entries(operation.responses)) {
    const schema = response.content?.['application/json']?.schema;
    const data = schema ? (resolveRef(document, schema) as { properties?: { data?: Json } }).properties?.data : undefined;
    parts.push(`<li><strong>${escapeHtml(status)}</strong> ${escapeHtml(response.description)}${data && (data as { properties?: unknown }).properties ? `<details><summary>data</summary>${schemaTable(document, data)}</details>` : ''}</li>`);
  }
  parts.push('</ul>');
  for (const [name, expressions] of Object.entries(operation.callbacks ?? {})) {
    for (const [expression, methods] of Object.entries(expressions)) {
      for (const [callbackMethod, callback] of Object.entries(methods)) {
        parts.push(`<h3>Callback <code>${escapeHtml(name)}</code>: ${callbackMethod.toUpperCase()} <code>${escapeHtml(expression)}</code></h3>`);
        if (callback.summary) parts.push(`<p>${escapeHtml(callback.summary)}</p>`);
        if (callback.description) parts.push(markdown(callback.description));
      }
    }
  }
  parts.push('</section>');
  return parts.join('\n');
}

export function docsPage(document: Json): string {
  const info = document.info as { title: string; version: string; summary: string; description: string };
  const paths = document.paths as Record<string, Record<string, Operation>>;
  const operations = Object.entries(paths).flatMap(([path, methods]) => Object.entries(methods).map(([method, operation]) => ({ path, method, operation })));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(info.title)} ${escapeHtml(info.version)}</title>
<link rel="icon" href="data:,">
<style>
  :root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6475; --line: #d8dce4; --accent: #0b63ce; --code: #eef1f6; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e7eaf0; --muted: #a5adbd; --line: #384050; --accent: #7db3ff; --code: #262c38; } }
  body { font: 16px/1.5 system-ui, sans-serif; color: var(--fg); max-width: 60rem; margin: 0 auto; padding: 1rem; }
  h1 { margin-bottom: 0; } .summary { color: var(--muted); }
  nav ul { padding-left: 1.2rem; } a { color: var(--accent); }
  code { background: var(--code); padding: 0 .25em; border-radius: 3px; font-size: .92em; overflow-wrap: anywhere; }
  table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; display: block; overflow-x: auto; }
  th, td { border: 1px solid var(--line); padding: .3rem .5rem; text-align: left; vertical-align: top; }
  td p { margin: 0; }
  .op { border-top: 2px solid var(--line); margin-top: 2rem; }
  .method { font-size: .8em; background: var(--accent); color: white; padding: .1em .5em; border-radius: 4px; }
</style>
</head>
<body>
<header>
<h1>${escapeHtml(info.title)}</h1>
<p class="summary">${escapeHtml(info.summary)} Version ${escapeHtml(info.version)}, OpenAPI ${escapeHtml(document.openapi)}: <a href="/openapi.json">openapi.json</a> · <a href="/">web UI</a></p>
</header>
<nav aria-label="operations"><ul>${operations.map(({ path, method, operation }) => `<li><a href="#${escapeHtml(operation.operationId ?? path)}">${method.toUpperCase()} ${escapeHtml(path)}</a></li>`).join('')}</ul></nav>
<main>
${markdown(info.description)}
${operations.map(({ path, method, operation }) => operationHtml(document, method, path, operation)).join('\n')}
</main>
</body>
</html>
`;
}

export function registerOpenApi(app: FastifyInstance, maxImageBytes: number): void {
  app.get('/openapi.json', async (_request, reply) => reply.header('cache-control', 'no-cache').send(openApiDocument(maxImageBytes)));
  app.get('/docs', async (_request, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:")
      .send(docsPage(openApiDocument(maxImageBytes))),
  );
}
