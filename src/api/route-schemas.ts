// What each route takes and answers, as Fastify route schemas: the OpenAPI document at
// /openapi.json is generated from these (openapi.ts, @fastify/swagger with the zod type provider).
// The query strings are validated by them (each route turns a failure into its catalog error, after
// authentication, so the order of checks clients see is kept); the answers' schemas document what
// the handlers send and are checked against real answers by test/web/openapi.test.ts, while the
// answers themselves are written as they are (openapi.ts: no serializer drops a field).
// create-task's multipart form is the one part Fastify does not parse: it is described by the JSON
// schema generated from the zod schema that validates it (contract/create-task-schema.ts), with
// each field's help and the file parts from the table of fields (contract/fields.ts).
import type { FastifyRequest, FastifySchema } from 'fastify';
import { z } from 'zod';
import { defaultText, fieldNamed, FILE_FIELDS, OUTPUT_FORMAT_TABLE, SIGNATURE_HEADER } from '@depthmill/client/contract';
import { createTaskFields } from '../contract/create-task-schema.js';
import { ApiError, Errors, type ErrorEntry } from '../contract/errors.js';

type Json = Record<string, unknown>;

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
  const wire = z.toJSONSchema(createTaskFields, { io: 'input', unrepresentable: 'any' }) as {
    properties: Record<string, PropertySchema>;
    required?: string[];
  };
  const parsed = z.toJSONSchema(createTaskFields, { io: 'output', unrepresentable: 'any' }) as {
    properties: Record<string, PropertySchema>;
  };
  const properties: Record<string, PropertySchema> = Object.fromEntries(
    FILE_FIELDS.map((row) => [row.name, { type: 'string', format: 'binary', description: row.help }]),
  );
  for (const [name, schema] of Object.entries(wire.properties)) {
    const after = parsed.properties[name] ?? {};
    const property: PropertySchema = { ...schema, description: fieldNamed(name)!.help };
    if (after.type === 'number') {
      property['x-minimum'] = after.minimum;
      property['x-maximum'] = after.maximum;
      property.description += ` A decimal number from ${after.minimum} to ${after.maximum}.`;
    }
    // A `strict` field's schema has no default (it tells sent from not); the table has it.
    const fallback = after.default !== undefined ? String(after.default) : defaultText(fieldNamed(name)!);
    if (property.default === undefined && fallback !== undefined) property.default = fallback;
    if (fieldNamed(name)!.type.kind === 'url') property.format = 'uri';
    properties[name] = property;
  }
  return { type: 'object', properties, required: wire.required ?? [] };
}

/** The envelope around `data`, as every JSON answer has it. */
const envelope = (data: z.ZodType, id: string, description: string) =>
  z
    .object({
      code: z.number().int().describe('200 on success; see the error codes'),
      data,
      msg: z.string().describe('success, or what went wrong'),
    })
    .meta({ id, description });

export const TokenAnswer = envelope(
  z.object({ accessToken: z.string().describe('JWT, valid 24 hours'), tokenType: z.literal('Bearer'), nonce: z.string() }),
  'TokenAnswer',
  'token answer',
);
export const CreateTaskAnswer = envelope(
  z.object({ task_id: z.string().describe('like depth_20260312_8f92ab3e1cde') }),
  'CreateTaskAnswer',
  'create-task answer',
);
export const QueryTaskAnswer = envelope(
  z.object({
    task_id: z.string(),
    state: z.enum(['created', 'queueing', 'processing', 'success', 'failed']).describe('in this order'),
    id: z.string().optional().describe('`<task_id>_0`, on success'),
    url: z.string().optional().describe('signed download link, valid one hour (ask again for a fresh one), on success'),
    progress: z
      .number()
      .int()
      .min(0)
      .max(100)
      .optional()
      .describe(
        "how far the work is: 0 until a worker takes the task, then from the stages it reaches (decode, depth passes, mask, refine, relief, encode), 100 on success; absent from a failed task's answer (`{task_id, state}`); beyond Hitem3D",
      ),
    depth_model: z
      .string()
      .optional()
      .describe('the depth model that made the result, like `fastdepth` (`npx depthmill models list`), on success; beyond Hitem3D'),
    mesh: z
      .object({
        triangles: z.number().int().describe('triangles in the mesh'),
        shells: z
          .number()
          .int()
          .describe(
            'separate closed parts: 1 for a plate; a cut-out has one per piece the background removal left, each standing on the bed',
          ),
      })
      .optional()
      .describe('relief formats (3, 4, 5), on success: what the mesh is made of; beyond Hitem3D'),
  }),
  'QueryTaskAnswer',
  'query-task answer (also the callback body)',
);
export const ErrorAnswer = envelope(z.object({}).catchall(z.unknown()), 'Error', 'an error: code and msg say what went wrong');

const json = (schema: z.ZodType, description: string) => ({ description, content: { 'application/json': { schema } } });

/** Error answers keyed by HTTP status, described from the catalog entries the route throws. */
function errorAnswers(...entries: ErrorEntry[]): Record<number, ReturnType<typeof json>> {
  const byStatus = new Map<number, string[]>();
  for (const entry of entries) byStatus.set(entry.status, [...(byStatus.get(entry.status) ?? []), `${entry.code}: ${entry.message}`]);
  return Object.fromEntries([...byStatus].map(([status, lines]) => [status, json(ErrorAnswer, lines.join('; '))]));
}

/**
 * The catalog error for a request its route schema refused (the route's `attachValidation` keeps
 * Fastify from answering first), so that authentication is still checked before the parameters.
 */
export function refuseInvalid(request: FastifyRequest, entry: ErrorEntry): void {
  if (request.validationError) throw new ApiError(entry);
}

export const tokenRoute = {
  tags: ['auth'],
  operationId: 'getToken',
  summary: 'Exchange client credentials for an access token',
  description:
    'Basic authentication with `client_id:client_secret`; the body may be empty or `{}`. Credentials come from `depthmill clients create <name>`.',
  security: [{ clientCredentials: [] }],
  response: {
    200: json(TokenAnswer, 'the token, valid 24 hours'),
    ...errorAnswers(Errors.invalidField, Errors.invalidCredentials, Errors.rateLimited),
  },
} satisfies FastifySchema & Record<string, unknown>;

export const SignInLinkAnswer = envelope(
  z.object({
    accessToken: z.string().describe('JWT, valid 24 hours: the same as /open-api/v1/auth/token gives'),
    tokenType: z.literal('Bearer'),
    nonce: z.string(),
    clientId: z.string().describe('the client the link signs in as: "web UI (sign-in link)" in `depthmill clients list`'),
  }),
  'SignInLinkAnswer',
  'sign-in link answer',
);

export const signInLinkRoute = {
  tags: ['auth'],
  operationId: 'redeemSignInLink',
  summary: "Exchange the start-up sign-in link's one-time secret for an access token (beyond Hitem3D)",
  description:
    'A server that listens on loopback only (role all, no DEPTHMILL_PUBLIC_URL) prints `depthmill web UI: http://127.0.0.1:8080/#signin=<secret>` at each start; the web UI sends `<secret>` as `Authorization: Bearer <secret>`. It works once, and only until the server stops: a second use, a wrong secret, or a server that offers no link answers 40010000 (HTTP 401). The body may be empty.',
  security: [{ signInLink: [] }],
  response: {
    200: json(SignInLinkAnswer, 'the token, valid 24 hours; the link is spent'),
    ...errorAnswers(Errors.invalidField, Errors.invalidCredentials, Errors.rateLimited),
  },
} satisfies FastifySchema & Record<string, unknown>;

export const createTaskRoute = {
  tags: ['depth'],
  operationId: 'createTask',
  summary: 'Start a depth map or relief task',
  description:
    'A known field with a bad value is refused with 40020003 naming the field and its allowed values; unknown fields are ignored.',
  security: [{ bearer: [] }],
  consumes: ['multipart/form-data'],
  response: {
    200: json(CreateTaskAnswer, 'the task was accepted'),
    ...errorAnswers(
      ...(Object.values(Errors) as ErrorEntry[]).filter((entry) => String(entry.code).startsWith('4002') && entry !== Errors.taskIdMissing),
      Errors.unauthorized,
      Errors.concurrencyLimit,
      Errors.insufficientBalance,
      Errors.rateLimited,
      Errors.storageFull,
    ),
  },
} satisfies FastifySchema & Record<string, unknown>;

/**
 * create-task's callback, which @fastify/swagger would keep only the body and answers of (not its
 * description or the signature header): added to the document whole.
 */
export const createTaskCallbacks = {
  taskFinished: {
    '{$request.body#/callback_url}': {
      post: {
        summary: 'The finished task, as query-task answers it',
        description: `Sent on success and on failure, at least once, retried with backoff for about an hour. Verify \`${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex>\`: HMAC-SHA256 of "<t>.<raw body>" under HMAC-SHA256(client_secret, "depthmill-callback-v1") (hex), e.g. with verifyCallback from @depthmill/client.`,
        parameters: [{ name: SIGNATURE_HEADER, in: 'header', required: true, schema: { type: 'string' } }],
        requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/QueryTaskAnswer' } } } },
        responses: { '200': { description: 'any 2xx acknowledges the delivery' } },
      },
    },
  },
};

/** create-task's request body: the form (the component CreateTaskForm) and each file part's types. */
export const createTaskRequestBody = {
  required: true,
  content: {
    'multipart/form-data': {
      schema: { $ref: '#/components/schemas/CreateTaskForm' },
      encoding: Object.fromEntries(FILE_FIELDS.map((row) => [row.name, { contentType: row.type.media }])),
    },
  },
};

export const queryTaskRoute = {
  tags: ['depth'],
  operationId: 'queryTask',
  summary: "A task's state, and its download link once it succeeded",
  description: 'A failed task answers HTTP 200 with code 5001001, the reason in `msg` and `data = {task_id, state: "failed"}`.',
  security: [{ bearer: [] }],
  querystring: z.object({ task_id: z.string().min(1).describe('from create-task') }),
  response: {
    200: json(QueryTaskAnswer, 'the task (code 200), or a failed task (code 5001001)'),
    ...errorAnswers(Errors.taskIdMissing, Errors.unauthorized, Errors.taskNotFound, Errors.taskExpired, Errors.rateLimited),
  },
} satisfies FastifySchema & Record<string, unknown>;

const readiness = z
  .enum(['ok', 'unreachable', 'timed out', 'recovering'])
  .describe('recovering (the queue only): it answers but lost its jobs, and no worker has queued the unfinished tasks again yet');
export const HealthAnswer = envelope(z.object({ status: z.literal('ok') }), 'HealthAnswer', 'the process answers');
export const ReadyAnswer = envelope(
  z.object({ status: z.enum(['ready', 'not ready']), database: readiness, queue: readiness, blobs: readiness }),
  'ReadyAnswer',
  'each part a task needs, and whether it answers',
);

export const metricsRoute = {
  tags: ['operations'],
  operationId: 'metrics',
  summary: 'Prometheus metrics of this process (no token, no rate limit; keep it off the internet)',
  description:
    'The Prometheus text format (version 0.0.4): request latency by route and status, tasks by state and kind, queue depth, stage durations by model, callback deliveries, credits, and the process\'s own figures. Absent with `DEPTHMILL_METRICS=0`. docs/operations.md "Metrics" lists each.',
  security: [],
  response: { 200: { description: 'the metrics', content: { 'text/plain': { schema: z.string() } } } },
} satisfies FastifySchema & Record<string, unknown>;

export const healthRoute = {
  tags: ['operations'],
  operationId: 'health',
  summary: 'Liveness: the process answers (no token, no rate limit)',
  security: [],
  response: { 200: json(HealthAnswer, 'the process is up') },
} satisfies FastifySchema & Record<string, unknown>;

export const readyRoute = {
  tags: ['operations'],
  operationId: 'ready',
  summary: 'Readiness: the database, the queue and the blob store answer (no token, no rate limit)',
  description:
    'Each part is checked with a 2 s limit; the queue is `recovering` (503) while it answers but lost its jobs and no worker has queued the unfinished tasks again yet. The models were checked at start-up, which does not finish without them.',
  security: [],
  response: { 200: json(ReadyAnswer, 'ready'), 503: json(ReadyAnswer, '503: not ready, and which part does not answer') },
} satisfies FastifySchema & Record<string, unknown>;

/** What /balance says of a client whose balance is unlimited: a number any client can do sums with. */
export const UNLIMITED_BALANCE = 2147483647;

export const BalanceAnswer = envelope(
  z.object({
    totalBalance: z.number().int().describe(`credits left; ${UNLIMITED_BALANCE} (2^31 - 1) when the balance is unlimited`),
    unlimited: z
      .boolean()
      .describe('true: tasks cost this client nothing (the default until the operator runs `depthmill clients credit`); beyond Hitem3D'),
    costs: z
      .object({
        depth_map: z.number().int().describe('formats 1, 2 and 6'),
        relief: z.number().int().describe('formats 3, 4 and 5, lithophanes included'),
      })
      .describe('credits a task of each kind takes when it is accepted (refunded when it fails); beyond Hitem3D'),
  }),
  'BalanceAnswer',
  "the client's credits",
);

export const balanceRoute = {
  tags: ['account'],
  operationId: 'getBalance',
  summary: "The client's credit balance",
  description:
    'A task takes its cost when create-task accepts it and gives it back when it fails; with too few credits create-task answers 30010000 (HTTP 402). Operators set balances with `depthmill clients credit <client_id> <n>`.',
  security: [{ bearer: [] }],
  response: { 200: json(BalanceAnswer, 'the balance'), ...errorAnswers(Errors.unauthorized, Errors.rateLimited) },
} satisfies FastifySchema & Record<string, unknown>;

export const DepthModelsAnswer = envelope(
  z.object({
    base: z
      .string()
      .nullable()
      .describe(
        'registry name of the depth model that serves model_type base (`npx depthmill models list`); null from a process that runs no model (role api)',
      ),
    pro: z.string().nullable().describe('the same for model_type pro'),
    hint: z
      .string()
      .nullable()
      .describe(
        'one line while the bundled FastDepth serves because Depth Anything V2 Small is not installed: what the better model gives and the command that installs it; null otherwise',
      ),
  }),
  'DepthModelsAnswer',
  'the depth models this server runs',
);

export const depthModelsRoute = {
  tags: ['depth'],
  operationId: 'getDepthModels',
  summary: 'Which depth model serves each model_type, and how to get a much better one (beyond Hitem3D)',
  security: [{ bearer: [] }],
  response: { 200: json(DepthModelsAnswer, 'the depth models'), ...errorAnswers(Errors.unauthorized, Errors.rateLimited) },
} satisfies FastifySchema & Record<string, unknown>;

/** The Hitem3D family's query-task for any kind of task: here every task is a depth task. */
export const anyQueryTaskRoute = {
  ...queryTaskRoute,
  operationId: 'queryAnyTask',
  summary: 'Any task by its id, as the Hitem3D family asks (the same answer as the depth route)',
  description: `${queryTaskRoute.description} Ids of other kinds of task (this server makes depth tasks only, whose ids start with \`depth_\`) answer 404.`,
} satisfies FastifySchema & Record<string, unknown>;

export const downloadRoute = {
  tags: ['depth'],
  operationId: 'download',
  summary: 'Download a result by the signed link query-task gave',
  description:
    'Use the `url` from query-task as it is; it is valid one hour. Streamed, with `Range` (206), `HEAD` and conditional requests (`ETag`, `Last-Modified`: 304).',
  security: [],
  querystring: z.object({ expires: z.string().regex(/^\d+$/), signature: z.string().regex(/^[0-9a-f]{64}$/) }),
  response: {
    200: {
      description: 'the file',
      content: Object.fromEntries(OUTPUT_FORMAT_TABLE.map((row) => [row.mediaType, { schema: z.string().meta({ format: 'binary' }) }])),
    },
    206: {
      description: 'the part of the file a `Range` header asked for (`Content-Range` says which)',
      content: Object.fromEntries(OUTPUT_FORMAT_TABLE.map((row) => [row.mediaType, { schema: z.string().meta({ format: 'binary' }) }])),
    },
    ...errorAnswers(Errors.linkInvalid, Errors.taskExpired, Errors.rangeNotSatisfiable),
  },
} satisfies FastifySchema & Record<string, unknown>;
