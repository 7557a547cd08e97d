// The metrics page of a worker-role process, which opens no API port: a bare node:http server
// that answers GET (and HEAD) /metrics and 404 to anything else. No token, like the API's
// /metrics: bind it where only the Prometheus server reaches it.
import { createServer } from 'node:http';
import type { Logger } from 'pino';

export interface MetricsPage {
  contentType: string;
  render(): Promise<string>;
}

export interface MetricsServer {
  /** The port it listens on (the one chosen, when asked for 0). */
  port: number;
  close(): Promise<void>;
}

export async function serveMetrics(page: MetricsPage, port: number, host: string, log: Logger): Promise<MetricsServer> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    if (path !== '/metrics' || (request.method !== 'GET' && request.method !== 'HEAD')) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: only GET /metrics is served here\n');
      return;
    }
    page.render().then(
      (text) => response.writeHead(200, { 'content-type': page.contentType }).end(request.method === 'HEAD' ? undefined : text),
      (error: unknown) => {
        log.error({ err: error }, 'metrics: could not render the page');
        response.writeHead(500, { 'content-type': 'text/plain; charset=utf-8' }).end('metrics unavailable\n');
      },
    );
  });
  // A scrape is one short request: idle connections are not kept for long.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
