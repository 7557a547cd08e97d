// Answers for requests that never reach a route: headers too large or too slow (Node's HTTP parser
// gives up on the connection) and URLs the router cannot decode. Fastify's defaults answer these
// outside the envelope (and echo the URL, signature and all); here they are envelopes too.
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyBaseLogger, FastifyError, FastifyReply, FastifyRequest } from 'fastify';
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
