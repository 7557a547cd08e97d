// The browser UI at /: the static files Vite builds into dist/web (`npm run build`), served by the
// API process itself, with a strict Content-Security-Policy (everything comes from this origin).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import type { Config } from '../config.js';

/** dist/web beside dist/api (this file is dist/api/web.js once built). */
export const WEB_ROOT = fileURLToPath(new URL('../web/', import.meta.url));

function contentSecurityPolicy(config: Config): string {
  // Download links use DEPTHMILL_PUBLIC_URL when set: the page must be allowed to fetch them.
  const extra = config.publicUrl ? ` ${new URL(config.publicUrl).origin}` : '';
  return [
    "default-src 'self'",
    `connect-src 'self'${extra}`,
    `img-src 'self' blob: data:${extra}`,
    "style-src 'self'",
    "script-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export async function registerWeb(app: FastifyInstance, config: Config, root = WEB_ROOT): Promise<void> {
  if (!existsSync(`${root}/index.html`)) {
    app.get('/', async (_request, reply) =>
      reply
        .code(503)
        .type('text/html; charset=utf-8')
        .send(
          '<!doctype html><title>Depthmill</title><h1>Depthmill</h1><p>The web UI is not built: run <code>npm run build</code> (or <code>npm ci</code>), then restart the server. The API works without it: see <a href="/docs">/docs</a>.</p>',
        ),
    );
    return;
  }
  const csp = contentSecurityPolicy(config);
  await app.register(fastifyStatic, {
    root,
    // One route per built file (no catch-all), so every other path still gets the API's 404 envelope.
    wildcard: false,
    decorateReply: false,
    cacheControl: false, // set below: hashed assets forever, the rest revalidated
    setHeaders(response, path) {
      if (/[/\\]assets[/\\]/.test(path)) {
        response.setHeader('cache-control', 'public, max-age=31536000, immutable'); // names carry a content hash
      } else {
        response.setHeader('cache-control', 'no-cache');
      }
      if (path.endsWith('.html')) {
        response.setHeader('content-security-policy', csp);
        response.setHeader('x-content-type-options', 'nosniff');
        response.setHeader('referrer-policy', 'no-referrer');
      }
    },
  });
}
