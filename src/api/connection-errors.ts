// Answers for requests that never reach a route: headers too large or too slow (Node's HTTP parser
// gives up on the connection), URLs the router cannot decode, and a missing or doubled Host header.
// Fastify's and Node's defaults answer these outside the envelope (and echo the URL, signature and
// all), or not at all; here they are envelopes too.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { errorEnvelope } from '../contract/envelope.js';
import { Errors, type ErrorEntry } from '../contract/errors.js';

function connectionErrorEntry(code: string | undefined): ErrorEntry {
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') return Errors.requestTimeout;
  if (code === 'HPE_HEADER_OVERFLOW') return Errors.headersTooLarge;
  return { ...Errors.invalidField, message: 'invalid parameter: malformed HTTP request' };
}

/** Node's `clientError`: the request could not be parsed or did not arrive in time. */
export function clientErrorHandler(log: FastifyBaseLogger) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    // A reset connection has nobody left to answer.
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    // Over HTTPS, node:https reports a handshake that failed or ran out of time (handshakeTimeout,
    // app.ts) here too: no HTTP can be spoken on that socket, so it is only closed.
    if (/^ERR_(TLS|SSL)_/.test(error.code ?? '')) {
      log.info({ code: error.code }, 'TLS handshake failed');
      socket.destroy();
      return;
    }
    const entry = connectionErrorEntry(error.code);
    log.info({ code: error.code, status: entry.status }, 'connection refused before routing');
    if (socket.writable) {
      const body = JSON.stringify(errorEnvelope(entry));
      socket.write(
        `HTTP/1.1 ${entry.status} ${STATUS_CODES[entry.status]}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
      );
    }
    socket.destroy();
  };
}

/** Fastify's router errors (a URL it cannot decode): the envelope, without the URL. */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const known = error.code === 'FST_ERR_BAD_URL';
  const entry = known ? { ...Errors.invalidField, message: 'invalid parameter: the URL is not valid (a stray % ?)' } : Errors.systemError;
  void reply.code(entry.status).send(errorEnvelope(entry));
}

/**
 * RFC 9112 3.2: a request with more than one Host header, or an HTTP/1.1 request without one, is
 * answered 400. Node's own check (requireHostHeader) answers the missing one with an empty 400
 * before any Fastify code runs, and lets two through (it keeps the first): app.ts turns that check
 * off and this onRequest hook, the first the app runs, does both in the envelope. (Not Node's
 * `clientError`: the parser accepts such a request, so that event never fires for it.) Two Host
 * headers are how a request slips past a proxy that read the other one: the connection is closed
 * rather than trusted for a next request.
 */
export const requireOneHost: onRequestHookHandler = (request, reply, done) => {
  // headersDistinct is node:http's; an injected request (light-my-request, app.inject) has none and
  // always one Host of its own making.
  const distinct = request.raw.headersDistinct as Record<string, string[] | undefined> | undefined;
  const hosts = distinct ? (distinct.host ?? []) : [request.headers.host ?? 'injected'];
  const http11 = request.raw.httpVersionMajor === 1 && request.raw.httpVersionMinor >= 1;
  if (hosts.length > 1 || (hosts.length === 0 && http11)) {
    const msg =
      hosts.length > 1 ? 'invalid parameter: more than one Host header' : 'invalid parameter: an HTTP/1.1 request needs a Host header';
    void reply.code(Errors.invalidField.status).header('connection', 'close').send(errorEnvelope(Errors.invalidField, msg));
    return;
  }
  done();
};
