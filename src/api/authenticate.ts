// Bearer authentication for the task routes: a valid, unrevoked token or 401.
import type { FastifyRequest } from 'fastify';
import type { Client } from '../tasks/ports.js';
import { ApiError, Errors } from '../contract/errors.js';
import type { TokenIssuer } from './tokens.js';

export async function requireClient(request: FastifyRequest, tokens: TokenIssuer): Promise<Client> {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  const client = match ? await tokens.verify(match[1]!) : undefined;
  if (!client) throw new ApiError(Errors.unauthorized);
  return client;
}

/** client_id and client_secret from `Authorization: Basic base64(id:secret)`, if well formed. */
export function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  return { id: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}
