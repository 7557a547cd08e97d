// GET /metrics: the Prometheus text format of this process (adapters/prometheus-metrics.ts), for a
// Prometheus server to scrape. Like the probes it needs no token and is outside the rate limit, so
// it must not be reachable from the internet (docs/operations.md "Metrics"): it tells how busy the service is.
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { metricsRoute } from './route-schemas.js';

/** What the API records and serves; one per process, shared with the worker side in role `all`. */
export interface ApiMetrics {
  contentType: string;
  render(): Promise<string>;
  httpRequest(method: string, route: string, status: number, seconds: number): void;
}

/**
 * The route's pattern (`/files/*`, never the path a request asked for: no task id or signature
 * becomes a label value), or "unmatched" for a request no route took (the 404s).
 */
export function routeLabel(request: FastifyRequest): string {
  return request.routeOptions.url ?? 'unmatched';
}

export function registerMetrics(app: FastifyInstance, metrics: ApiMetrics): void {
  app.get('/metrics', { schema: metricsRoute, config: { rateLimit: false } }, async (_request, reply) =>
    reply
      .header('cache-control', 'no-store')
      .type(metrics.contentType)
      .send(await metrics.render()),
  );
}
