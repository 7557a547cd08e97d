// The HTTP routes of the depth API (API.md), thin: parse, authenticate, call the task service.
// What each takes and answers is in route-schemas.ts (the OpenAPI document is made from it).
import { randomBytes } from 'node:crypto';
import send from '@fastify/send';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Config } from '../config.js';
import { successEnvelope } from '../contract/envelope.js';
import { formatNamed } from '@depthmill/client/contract';
import type { BlobStore, Client, ClientStore, OutboundFetch } from '../tasks/ports.js';
import type { LinkSigner } from '../tasks/signed-links.js';
import { DOWNLOAD_PREFIX } from '../tasks/signed-links.js';
import { authenticateClient } from '../tasks/clients.js';
import type { TaskService } from '../tasks/task-service.js';
import { DEPTH_TASK_PREFIX } from '../tasks/task-id.js';
import { taskQueryBody } from '../tasks/task-view.js';
import { basicCredentials, requireClient } from './authenticate.js';
import { readCreateTask } from './create-task-form.js';
import { linkBase } from './link-base.js';
import { ApiError, Errors } from '../contract/errors.js';
import {
  anyQueryTaskRoute,
  balanceRoute,
  createTaskRoute,
  depthModelsRoute,
  downloadRoute,
  queryTaskRoute,
  refuseInvalid,
  signInLinkRoute,
  tokenRoute,
  UNLIMITED_BALANCE,
} from './route-schemas.js';
import type { SignInLink } from './sign-in-link.js';
import type { TokenIssuer } from './tokens.js';

export interface RouteDeps {
  config: Config;
  tasks: TaskService;
  clients: ClientStore;
  blobs: BlobStore;
  tokens: TokenIssuer;
  links: LinkSigner;
  /** Fetches image_url, guarded against SSRF. */
  outbound: OutboundFetch;
  /** The start-up sign-in link, on a server that listens on loopback only (server.ts); else none. */
  signInLink?: SignInLink | undefined;
  /** The depth models this process runs, and the better-model hint; undefined on role api (it runs none). */
  depthModels?: { base: string; pro: string; hint: string | undefined } | undefined;
}

/** The retention collector deleted the file (or it never existed): said so, not 500. */
const expired = () => new ApiError(Errors.taskExpired, 'file expired: results are kept for a limited time; create the task again');

/**
 * Streams a result file with @fastify/send: never the whole file in memory, `Range` (a resumed or
 * parallel download), HEAD, and conditional requests (ETag, Last-Modified).
 */
async function sendFile(
  request: FastifyRequest,
  reply: FastifyReply,
  path: string,
  headers: Record<string, string>,
): Promise<FastifyReply> {
  const sent = await send(request.raw, path, {
    acceptRanges: true,
    cacheControl: false,
    contentType: false,
    dotfiles: 'allow',
    index: false,
  });
  if (sent.type === 'error') {
    if (sent.statusCode === 404) throw expired();
    if (sent.statusCode === 416)
      throw new ApiError(Errors.rangeNotSatisfiable, undefined, { headers: { 'content-range': sent.headers['Content-Range']! } });
    throw sent.metadata.error;
  }
  return reply.code(sent.statusCode).headers(sent.headers).headers(headers).send(sent.stream);
}

function isMissing(error: unknown): boolean {
  const { code, name } = error as { code?: string; name?: string };
  return code === 'ENOENT' || name === 'NoSuchKey' || name === 'NotFound';
}

/** The most a sign-in body may hold: it is empty or `{}`. */
const TOKEN_BODY_LIMIT = 1024;

export function registerRoutes(app: FastifyInstance, deps: RouteDeps): void {
  const { config, tasks, clients, blobs, tokens, links, outbound } = deps;
  const baseUrlOf = linkBase(config.publicUrl, config.host, app.log);

  // Sign-in is limited per address before any secret is checked (each check is a scrypt).
  const signInLimit = {
    max: config.signInPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request: FastifyRequest) => `signin:${request.ip}`,
  };
  // Its body may be empty or `{}` (API.md): anything past a few bytes is refused, not read.
  app.post(
    '/open-api/v1/auth/token',
    { schema: tokenRoute, bodyLimit: TOKEN_BODY_LIMIT, config: { rateLimit: signInLimit } },
    async (request) => {
      const credentials = basicCredentials(request.headers.authorization);
      const client = credentials && (await authenticateClient(clients, credentials.id, credentials.secret));
      if (!client) throw new ApiError(Errors.invalidCredentials);
      return successEnvelope({ accessToken: await tokens.issue(client), tokenType: 'Bearer', nonce: randomBytes(16).toString('hex') });
    },
  );

  // Beyond Hitem3D: the sign-in link's one-time secret for a token (sign-in-link.ts), limited as sign-in is.
  app.post(
    '/open-api/v1/auth/link',
    { schema: signInLinkRoute, bodyLimit: TOKEN_BODY_LIMIT, config: { rateLimit: signInLimit } },
    async (request) => {
      const { signInLink } = deps;
      const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
      const client = match && signInLink ? await signInLink.redeem(match[1]!) : undefined;
      if (!client) {
        throw new ApiError(
          Errors.invalidCredentials,
          signInLink
            ? 'sign-in link not valid: a link works once, and only until the server stops (it prints a fresh one at each start); or sign in with client credentials'
            : 'this server offers no sign-in link (only a server that listens on loopback does): sign in with client credentials',
        );
      }
      request.log.info({ clientId: client.id }, 'signed in with the sign-in link');
      return successEnvelope({
        accessToken: await tokens.issue(client),
        tokenType: 'Bearer',
        nonce: randomBytes(16).toString('hex'),
        clientId: client.id,
      });
    },
  );

  // The token and the body's type are checked before a byte of the body is read (onRequest runs
  // before parsing): nobody without a token can make the server read 20 MB.
  const clientOf = new WeakMap<FastifyRequest, Client>();
  const acceptUpload = async (request: FastifyRequest) => {
    clientOf.set(request, await requireClient(request, tokens));
    if (!/^multipart\/form-data/i.test(request.headers['content-type'] ?? '')) throw new ApiError(Errors.notMultipart);
  };
  app.post('/open-api/v1/depth/create-task', { schema: createTaskRoute, onRequest: acceptUpload }, async (request) => {
    const client = clientOf.get(request)!;
    const { params, image, imageType, mask } = await readCreateTask(request, config, outbound);
    const task = await tasks.create(client.id, params, { image, imageType, ...(mask ? { mask: mask.bytes, maskType: mask.type } : {}) });
    request.log.info(
      {
        taskId: task.id,
        clientId: client.id,
        format: params.format,
        modelType: params.modelType,
        userMask: mask !== undefined,
        depthMap: params.depthMap === true,
      },
      'task created',
    );
    return successEnvelope({ task_id: task.id });
  });

  const queryTask = async (request: FastifyRequest) => {
    const client = await requireClient(request, tokens);
    refuseInvalid(request, Errors.taskIdMissing);
    const { task_id: taskId } = request.query as { task_id: string };
    const task = await tasks.get(client.id, taskId);
    return taskQueryBody(task, blobs, baseUrlOf(request));
  };
  app.get('/open-api/v1/depth/query-task', { schema: queryTaskRoute, attachValidation: true }, queryTask);
  // The family's generic route (some clients' status command and set-up probe use it).
  app.get('/open-api/v1/query-task', { schema: anyQueryTaskRoute, attachValidation: true }, async (request) => {
    const { task_id: taskId } = request.query as { task_id?: unknown };
    if (typeof taskId === 'string' && taskId !== '' && !taskId.startsWith(DEPTH_TASK_PREFIX)) {
      await requireClient(request, tokens);
      throw new ApiError(
        Errors.taskNotFound,
        `task not found: this server makes depth tasks only (their ids start with ${DEPTH_TASK_PREFIX})`,
      );
    }
    return queryTask(request);
  });

  app.get('/open-api/v1/balance', { schema: balanceRoute }, async (request) => {
    const client = await requireClient(request, tokens);
    return successEnvelope({
      totalBalance: client.balance ?? UNLIMITED_BALANCE,
      unlimited: client.balance === undefined,
      costs: config.creditCosts,
    });
  });

  app.get('/open-api/v1/depth/models', { schema: depthModelsRoute }, async (request) => {
    await requireClient(request, tokens);
    const { depthModels } = deps;
    return successEnvelope({ base: depthModels?.base ?? null, pro: depthModels?.pro ?? null, hint: depthModels?.hint ?? null });
  });

  // Signed download links (API.md: valid one hour), served by the same process.
  app.get(`${DOWNLOAD_PREFIX}*`, { schema: downloadRoute, attachValidation: true }, async (request, reply) => {
    refuseInvalid(request, Errors.linkInvalid);
    // Already decoded by the router (decoding again would break on a literal %).
    const key = (request.params as { '*': string })['*'];
    const { expires, signature } = request.query as { expires: string; signature: string };
    const verdict = links.check(key, expires, signature);
    if (verdict === 'expired') throw new ApiError(Errors.linkInvalid, 'download link expired: query the task again for a fresh one');
    if (verdict !== 'ok') throw new ApiError(Errors.linkInvalid);
    const name = key.split('/').pop()!;
    const [taskId, extension = ''] = name.split('.');
    const headers = {
      'content-type': formatNamed(extension)?.mediaType ?? 'application/octet-stream',
      'content-disposition': `attachment; filename="${taskId}_0.${extension}"`,
      'cache-control': 'private, max-age=3600',
    };
    const file = blobs.filePath?.(key);
    if (file) return sendFile(request, reply, file, headers);
    // A store without local files (S3 hands out its own links; this serves an old link only).
    const bytes = await blobs.get(key).catch((error: unknown) => {
      if (isMissing(error)) throw expired();
      throw error;
    });
    return reply.headers(headers).send(bytes);
  });
}
