// The Fastify application: multipart limits, the routes, and the one place where errors become
// the envelope (API.md): catalog errors as they are, anything unexpected as 10000000 without details.
import multipart from '@fastify/multipart';
import rateLimit from '@fastify/rate-limit';
import type { Redis } from 'ioredis';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyError, type FastifyInstance, type FastifyRequest } from 'fastify';
import { errorEnvelope } from '../contract/envelope.js';
import { redactUrl } from '../logger.js';
import { ApiError, Errors } from '../contract/errors.js';
import type { TlsFiles } from '../tls.js';
import { clientErrorHandler, frameworkErrors, requireOneHost } from './connection-errors.js';
import { MAX_FIELD_BYTES } from './create-task-form.js';
import { tooLarge } from './fetch-image.js';
import { registerHealth, type ReadinessChecks } from './health.js';
import { registerMetrics, routeLabel, type ApiMetrics } from './metrics.js';
import { registerOpenApi } from './openapi.js';
import { registerRoutes, type RouteDeps } from './routes.js';
import { registerWeb } from './web.js';

/** Routes clients poll: their successful answers are logged at debug. */
const POLLED = new Set(['/open-api/v1/depth/query-task', '/open-api/v1/query-task', '/healthz', '/readyz', '/metrics']);

/** Errors Fastify and its multipart plugin raise, mapped onto the catalog. */
function fromFastifyError(error: FastifyError, request: FastifyRequest, maxImageBytes: number): ApiError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      // Only create-task takes an image; any other route's body is small by its own limit.
      if (request.routeOptions.bodyLimit < maxImageBytes)
        return new ApiError(
          Errors.invalidField,
          `invalid parameter: request body too large for this route (at most ${request.routeOptions.bodyLimit} bytes)`,
        );
      return tooLarge(maxImageBytes);
    case 'FST_REQ_FILE_TOO_LARGE':
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

/** The envelope of a path no route serves (the not-found handler's, and a file that cannot be served). */
function notFound(request: FastifyRequest): ApiError {
  return new ApiError(Errors.routeNotFound, `not found: ${request.method} ${request.url.split('?')[0]}`);
}

/**
 * Refusals of @fastify/send, which serves the static files (/docs/static/*, the web UI's, the
 * downloads): http-errors objects (a numeric `status`, `expose` set for a client error) that
 * @fastify/static hands to the error handler. A path that climbs out of the folder (`..`: 403) or
 * holds a NUL byte (400) names no file this server serves, so it is answered as any unknown path
 * (404), not as a server fault; a Range past the end of a file gets its 416 with Content-Range, an
 * If-Match the file does not meet its 412.
 */
function fromFileError(error: Error, request: FastifyRequest): ApiError | undefined {
  const { status, expose, headers } = error as { status?: unknown; expose?: unknown; headers?: Record<string, string> };
  if (typeof status !== 'number' || expose !== true) return undefined;
  if (status === 400 || status === 403 || status === 404) return notFound(request);
  if (status === 416)
    return new ApiError(Errors.rangeNotSatisfiable, undefined, {
      headers: headers?.['Content-Range'] ? { 'content-range': headers['Content-Range'] } : {},
    });
  if (status === 412) return new ApiError(Errors.preconditionFailed);
  return undefined;
}

export interface AppDeps extends RouteDeps {
  logger: FastifyBaseLogger;
  /** Shared rate-limit counters (distributed mode); undefined: counters in this process. */
  rateLimitRedis?: Redis | undefined;
  /** Their key prefix (one per deployment). */
  rateLimitNamespace?: string;
  /** What /readyz asks. */
  readiness: ReadinessChecks;
  /** Request latencies are recorded here and /metrics serves it; undefined: no /metrics. */
  metrics?: ApiMetrics | undefined;
  /** Certificate and key: the API speaks HTTPS (HTTP/1.1); undefined: plain HTTP. */
  tls?: TlsFiles | undefined;
}

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  // Options of Node's HTTP/1.1 server. Fastify hands `http` to http.createServer only; with `https`
  // it passes that object alone to https.createServer (which takes the same options), so these go
  // inside it there. requestTimeout, keepAliveTimeout and clientError Fastify sets on either server.
  const headersTimeout = Math.min(60_000, config.requestTimeoutMs);
  const nodeServerOptions = {
    headersTimeout,
    connectionsCheckingInterval: Math.min(30_000, Math.max(250, Math.floor(config.requestTimeoutMs / 4))),
    // Node answers an HTTP/1.1 request without Host with an empty 400 of its own, before Fastify
    // sees it: requireOneHost (connection-errors.ts) does that check, in the envelope, instead.
    requireHostHeader: false,
  };
  // HTTP/1.1 even over TLS, never HTTP/2: downloads stream through @fastify/send on request.raw,
  // and the slow-request protection above is the HTTP/1 server's (docs/operations.md "HTTPS"). That protection
  // starts once the TLS handshake is done: the handshake itself gets the same bound as the headers
  // (node:tls holds a connection that stops mid-handshake for 120 s by default).
  const nodeServer = deps.tls
    ? { https: { ...deps.tls, ...nodeServerOptions, handshakeTimeout: headersTimeout } }
    : { http: nodeServerOptions };
  const app = Fastify({
    loggerInstance: deps.logger,
    // Room for the multipart overhead around a maximum-size image.
    bodyLimit: config.maxImageBytes + 1024 * 1024,
    trustProxy: false,
    // A request must arrive, headers and body, within this time: a body trickled a byte at a time
    // is cut off (408). Node checks open requests every connectionsCheckingInterval.
    requestTimeout: config.requestTimeoutMs,
    ...nodeServer,
    clientErrorHandler: clientErrorHandler(deps.logger),
    frameworkErrors,
    // One line per request, written below when the answer is sent (Fastify's own are two).
    logController: new LogController({ disableRequestLogging: true }),
  });

  // First of all hooks (before the rate limit's): a request without exactly one Host is refused.
  app.addHook('onRequest', requireOneHost);

  // One line per request: at info, except the answers a poller gets again and again (a query-task
  // that is not new news, the probes), which go to debug so polling does not flood the log.
  // Its latency is observed here too, by the route's pattern (never the raw URL).
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics?.httpRequest(request.method, routeLabel(request), reply.statusCode, reply.elapsedTime / 1000);
    const routine = reply.statusCode < 400 && (POLLED.has(request.routeOptions.url ?? '') || request.method === 'HEAD');
    request.log[routine ? 'debug' : 'info'](
      { method: request.method, url: redactUrl(request.url), status: reply.statusCode, ms: Math.round(reply.elapsedTime) },
      'request',
    );
  });

  // A request answered before its body was read to the end (an upload refused mid-way: a second
  // image, a file over the limit) still has the rest of its body coming: read and drop it, as Node
  // does for a body nobody touched, so the connection serves the client's next request. Over TLS,
  // Node otherwise stopped reading that socket and the next request sent on it hung. (Closing the
  // connection instead cut off clients still writing the body: EPIPE before they read the answer.)
  // DEPTHMILL_REQUEST_TIMEOUT_MS still bounds how long the rest may take.
  app.addHook('onResponse', async (request) => {
    if (!request.raw.complete) request.raw.resume();
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
    ...(deps.rateLimitRedis ? { redis: deps.rateLimitRedis, nameSpace: deps.rateLimitNamespace ?? 'depthmill-rate-' } : {}),
  });

  // files: the image, the mask and the depth map, plus one more so that a second copy of one gets its own message.
  await app.register(multipart, {
    limits: { fileSize: config.maxImageBytes, files: 4, fields: 64, fieldSize: MAX_FIELD_BYTES, parts: 70, headerPairs: 100 },
  });

  // No route reads a JSON body, and token requests may come with an empty body or `{}` under any
  // content type (API.md): accept and ignore whatever is not multipart.
  app.removeContentTypeParser(['application/json', 'text/plain']);
  // As a buffer, so that Fastify enforces each route's body limit while reading (and refuses a
  // declared Content-Length over it before reading at all).
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, _body, done) => done(null, undefined));

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const known =
      error instanceof ApiError ? error : (fromFastifyError(error, request, config.maxImageBytes) ?? fromFileError(error, request));
    if (known) {
      return reply
        .code(known.entry.status)
        .headers(known.headers)
        .send(errorEnvelope(known.entry, known.message, known.data));
    }
    if (request.raw.destroyed) {
      // The client hung up mid-request (an upload cut short): nothing went wrong here.
      request.log.info({ err: error.message }, 'client disconnected before the request was read');
      return reply
        .code(Errors.invalidField.status)
        .send(errorEnvelope(Errors.invalidField, 'invalid parameter: the request was cut short'));
    }
    request.log.error({ err: error }, 'unexpected error');
    return reply.code(Errors.systemError.status).send(errorEnvelope(Errors.systemError));
  });

  app.setNotFoundHandler((request, reply) => {
    const missing = notFound(request);
    reply.code(missing.entry.status).send(errorEnvelope(missing.entry, missing.message));
  });

  await registerOpenApi(app, config.maxImageBytes, { https: deps.tls !== undefined });
  registerRoutes(app, deps);
  registerHealth(app, deps.readiness);
  if (deps.metrics) registerMetrics(app, deps.metrics);
  await registerWeb(app, config);
  return app;
}
