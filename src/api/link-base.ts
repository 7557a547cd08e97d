// Where download links point when DEPTHMILL_PUBLIC_URL is not set. The request's Host header
// usually names this server, but some Hitem3D clients pin it to Hitem3D's own host whatever base
// URL they are given: links on that host would lead nowhere. So a Host that is not one of this
// machine's names or addresses is replaced by the address the connection actually reached.
import { hostname, networkInterfaces } from 'node:os';
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';

/** The names and addresses this machine answers to (checked without any DNS lookup). */
function ownNames(boundHost: string): Set<string> {
  const names = new Set(['localhost', '127.0.0.1', '::1', hostname().toLowerCase(), boundHost.toLowerCase()]);
  for (const addresses of Object.values(networkInterfaces())) for (const { address } of addresses ?? []) names.add(address.toLowerCase());
  return names;
}

/** A Host header's name without its port or IPv6 brackets. */
function hostName(host: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(host);
  if (bracketed) return bracketed[1]!.toLowerCase();
  return host.replace(/:\d+$/, '').toLowerCase();
}

/** `http://<local address>:<port>` of the connection the request came in on. */
function connectionOrigin(request: FastifyRequest): string {
  const { localAddress = '127.0.0.1', localPort } = request.socket;
  const address = localAddress.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
  return `${request.protocol}://${address.includes(':') ? `[${address}]` : address}:${localPort}`;
}

/** The base of the links in a request's answers: the public URL, the Host it named, or the address it reached. */
export function linkBase(publicUrl: string | undefined, boundHost: string, log: FastifyBaseLogger): (request: FastifyRequest) => string {
  if (publicUrl) return () => publicUrl;
  const names = ownNames(boundHost);
  const machine = hostname().toLowerCase();
  const warned = new Set<string>();
  return (request) => {
    const host = request.host;
    const name = hostName(host);
    // Also this machine's name with a domain (mybox.local, mybox.lan).
    if (names.has(name) || name.split('.')[0] === machine) return `${request.protocol}://${host}`;
    if (!warned.has(host) && warned.size < 16) {
      warned.add(host);
      log.warn(
        { host },
        'a request named another host: its links use the address it reached (set DEPTHMILL_PUBLIC_URL when clients reach this server by a name)',
      );
    }
    return connectionOrigin(request);
  };
}
