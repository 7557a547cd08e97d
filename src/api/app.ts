// The Fastify application: multipart limits, the routes, and the one place where errors become
// the envelope (API.md): catalog errors as they are, anything unexpected as 10000000 without details.
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import { errorEnvelope } from '../contract/envelope.js';
import { ApiError, Errors } from '../contract/errors.js';
import { tooLarge } from './fetch-image.js';
import { registerOpenApi } from './openapi.js';
import { registerRoutes, type RouteDeps } from './routes.js';
import { registerWeb } from './web.js';

/** Errors Fastify and its multipart plugin raise, mapped onto the catalog. */
function fromFastifyError(error: FastifyError, maxImageBytes: number): ApiError | undefined {
  switch (error.code) {
    case 'FST_REQ_FILE_TOO_LARGE':
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return tooLarge(maxImageBytes);
    case 'FST_FILES_LIMIT':
      return new ApiError(Errors.tooManyFiles);
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new ApiError(Errors.notMultipart);
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
    case 'FST_PROTO_VIOLATION':
    case 'FST_MP_PREMATURE_CLOSE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return new ApiError(Errors.invalidField, `invalid parameter: malformed request body (${error.message})`);
    default:
      return undefined;
  }
}

export interface AppDeps extends RouteDeps {
  logger: FastifyBaseLogger;
  /** Shared rate-limit counters (distributed mode); undefined: counters in this process. */
  rateLimitRedis?: Redis | undefined;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const app = Fastify({
    loggerInstance: deps.logger,
    // Room for the multipart overhead around a maximum-size image.
    bodyLimit: config.maxImageBytes + 1024 * 1024,
    trustProxy: false,
  });

  await app.register(rateLimit, {
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    // Per client: the Bearer token's client, verified, so nobody can spend another client's
    // allowance with a forged token; anything else per address. Never by an unverified client id:
    // a fresh fake id per request would get a fresh allowance, and anyone could spend a real one's
    // (sign-in has its own per-address limit: routes.ts).
    keyGenerator: async (request) => {
      const bearer = /^Bearer\s+(\S+)/i.exec(request.headers.authorization ?? '');
      const client = bearer ? await deps.tokens.verify(bearer[1]!) : undefined;
      return client ? `client:${client.id}` : `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, context) =>
      new ApiError(Errors.rateLimited, `too many requests: at most ${context.max} per minute; retry after ${context.after}`),
    ...(deps.rateLimitRedis ? { redis: deps.rateLimitRedis, nameSpace: 'depthmill-rate-' } : {}),
  });

  // files: the image, the mask and the depth map, plus one more so that a second copy of one gets its own message.
  await app.register(multipart, {
    limits: { fileSize: config.maxImageBytes, files: 4, fields: 64, fieldSize: 4096, parts: 70, headerPairs: 100 },
  });

  // No route reads a JSON body, and token requests may come with an empty body or `{}` under any
  // content type (API.md): accept and ignore whatever is not multipart.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  app.addContentTypeParser('*', (_request, payload, done) => {
    payload.resume();
    payload.on('end', () => done(null, undefined));
    payload.on('error', done);
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known = error instanceof ApiError ? error : fromFastifyError(error, config.maxImageBytes);
    if (known) {
      return reply.code(known.entry.status).headers(known.headers).send(errorEnvelope(known.entry, known.message, known.data));
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(Errors.systemError.status).send(errorEnvelope(Errors.systemError));
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404).send(errorEnvelope(Errors.routeNotFound, `not found: ${request.method} ${request.url.split('?')[0]}`));
  });

  await registerOpenApi(app, config.maxImageBytes);
  registerRoutes(app, deps);
  await registerWeb(app, config);
  return app;
}
