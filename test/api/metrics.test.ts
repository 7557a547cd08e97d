// /metrics as a Prometheus server scrapes it, read with an independent parser: the page parses, the
// numbers move when a real task runs (request latency by route, tasks by state and kind, stage
// durations by model, callback attempts), and no label carries a task id. In the distributed run
// also a worker-role process's own metrics port (DEPTHMILL_METRICS_PORT).
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, download, form, queryTask, token, waitForTask } from '../helpers/api.js';
import { has, scrape, total, type Scrape } from '../helpers/prometheus.js';
import { createClientCredentials, DISTRIBUTED, signIn, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

const APPLE = readPhoto('opencv_apple.jpg');
/** A quick task: a 1K 16-bit PNG depth map, no background removal. */
const FIELDS = { format: '2', model_type: 'base', rmbg: '0' };
const TASK_ID = /depth_\d{8}_[0-9a-f]+/;

const servers: TestServer[] = [];
afterAll(async () => {
  await Promise.all(servers.map((server) => server.stop()));
});

async function start(options: Parameters<typeof startServer>[0] = {}): Promise<TestServer> {
  const server = await startServer(options);
  servers.push(server);
  return server;
}

/** A loopback port nothing listens on: a callback to it fails at once (connection refused). */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Label values come from bounded sets: route patterns, states, models; never an id or a signature. */
function expectNoIdsInLabels(page: Scrape, taskId: string): void {
  for (const sample of page.samples) {
    for (const value of Object.values(sample.labels)) {
      expect(value, `${sample.name} ${JSON.stringify(sample.labels)}`).not.toContain(taskId);
      expect(value).not.toMatch(TASK_ID);
      expect(value).not.toMatch(/[0-9a-f]{64}|signature=|expires=/);
    }
  }
}

async function until(read: () => Promise<Scrape>, done: (page: Scrape) => boolean, what: string): Promise<Scrape> {
  for (const deadline = Date.now() + 30_000; ;) {
    const page = await read();
    if (done(page)) return page;
    if (Date.now() > deadline) throw new Error(`metrics never showed ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('/metrics', () => {
  let server: TestServer;
  let accessToken: string;

  beforeAll(async () => {
    server = await start();
    ({ accessToken } = await signIn(server));
  });

  it('is the Prometheus text format, with every family declared before any task', async () => {
    const page = await scrape(`${server.url}/metrics`);
    expect(page.status).toBe(200);
    expect(page.contentType).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(
      Object.fromEntries(
        [...page.families].filter(([name]) => !name.startsWith('depthmill_process_') && !name.startsWith('depthmill_nodejs_')),
      ),
    ).toEqual({
      depthmill_http_request_duration_seconds: 'HISTOGRAM',
      depthmill_stage_duration_seconds: 'HISTOGRAM',
      depthmill_tasks_finished_total: 'COUNTER',
      depthmill_callback_deliveries_total: 'COUNTER',
      depthmill_credits_spent_total: 'COUNTER',
      depthmill_credits_refunded_total: 'COUNTER',
      depthmill_tasks: 'GAUGE',
      depthmill_queue_waiting: 'GAUGE',
    });
    // The process's own figures, under the same prefix.
    expect(page.families.get('depthmill_process_cpu_seconds_total')).toBe('COUNTER');
    expect(page.families.get('depthmill_nodejs_heap_size_used_bytes')).toBe('GAUGE');
    // Every state and kind, at 0: series exist before their first task.
    for (const state of ['created', 'queueing', 'processing', 'success', 'failed']) {
      for (const kind of ['depth_map', 'relief', 'lithophane'])
        expect(has(page, 'depthmill_tasks', { state, kind }), `${state} ${kind}`).toBe(true);
    }
    expect(total(page, 'depthmill_tasks')).toBe(0);
    expect(total(page, 'depthmill_queue_waiting')).toBe(0);
    expect(total(page, 'depthmill_callback_deliveries_total', { outcome: 'failed_attempt' })).toBe(0);
  });

  it('counts a real task: its requests by route, its state and kind, its stages by model, its failed callback', async () => {
    const before = await scrape(`${server.url}/metrics`);
    const created = await createTask(
      server.url,
      accessToken,
      form({ ...FIELDS, callback_url: `http://127.0.0.1:${await closedPort()}/hook` }, [{ bytes: APPLE }]),
    );
    expect(created.body.code, created.body.msg).toBe(200);
    const taskId = created.body.data.task_id;
    const done = await waitForTask(server.url, accessToken, taskId);
    expect(done.body.data.state).toBe('success');
    const model = done.body.data.depth_model!;
    expect((await download(done.body.data.url!)).status).toBe(200);
    // A path no route takes, with the task's id in it.
    expect((await fetch(`${server.url}/open-api/v1/depth/${taskId}`)).status).toBe(404);

    const after = await until(
      () => scrape(`${server.url}/metrics`),
      (page) => total(page, 'depthmill_callback_deliveries_total', { outcome: 'failed_attempt' }) >= 1,
      'the failed callback attempt',
    );
    const createTaskRoute = { method: 'POST', route: '/open-api/v1/depth/create-task', status: '200' };
    expect(
      total(after, 'depthmill_http_request_duration_seconds_count', createTaskRoute) -
        total(before, 'depthmill_http_request_duration_seconds_count', createTaskRoute),
    ).toBe(1);
    expect(total(after, 'depthmill_http_request_duration_seconds_bucket', { ...createTaskRoute, le: '+Inf' })).toBe(
      total(after, 'depthmill_http_request_duration_seconds_count', createTaskRoute),
    );
    expect(total(after, 'depthmill_http_request_duration_seconds_sum', createTaskRoute)).toBeGreaterThan(0);
    // Routes by their pattern: the polling, the download, and the 404 as "unmatched".
    expect(
      total(after, 'depthmill_http_request_duration_seconds_count', { route: '/open-api/v1/depth/query-task', status: '200' }),
    ).toBeGreaterThanOrEqual(1);
    // (With S3 the link is the store's own, not this server's.)
    if (!DISTRIBUTED)
      expect(total(after, 'depthmill_http_request_duration_seconds_count', { method: 'GET', route: '/files/*', status: '200' })).toBe(1);
    expect(total(after, 'depthmill_http_request_duration_seconds_count', { route: 'unmatched', status: '404' })).toBe(1);

    expect(total(after, 'depthmill_tasks', { state: 'success', kind: 'depth_map' })).toBe(1);
    expect(total(after, 'depthmill_tasks')).toBe(1);
    expect(total(after, 'depthmill_queue_waiting')).toBe(0);
    expect(total(after, 'depthmill_tasks_finished_total', { kind: 'depth_map', state: 'success' })).toBe(1);
    // The engine's stages, by the model query-task named.
    for (const stage of ['decode', 'depth', 'total']) {
      expect(total(after, 'depthmill_stage_duration_seconds_count', { stage, model })).toBe(1);
    }
    expect(total(after, 'depthmill_stage_duration_seconds_sum', { stage: 'total', model })).toBeGreaterThan(0);
    expect(total(after, 'depthmill_callback_deliveries_total', { outcome: 'delivered' })).toBe(0);

    expectNoIdsInLabels(after, taskId);
    // The label values are route patterns, not the paths asked for.
    const routes = new Set(
      after.samples
        .filter((sample) => sample.name === 'depthmill_http_request_duration_seconds_count')
        .map((sample) => sample.labels.route!),
    );
    for (const route of routes) expect(route === 'unmatched' || route.startsWith('/'), route).toBe(true);
    expect([...routes].some((route) => route.includes('?'))).toBe(false);
  });

  it('needs no token and is outside the rate limit', async () => {
    const limited = await start({ env: { DEPTHMILL_RATE_LIMIT: '2' } });
    for (let i = 0; i < 5; i++) expect((await scrape(`${limited.url}/metrics`)).status).toBe(200);
  });

  it('is off with DEPTHMILL_METRICS=0', async () => {
    const off = await start({ env: { DEPTHMILL_METRICS: '0' } });
    expect((await fetch(`${off.url}/metrics`)).status).toBe(404);
  });
});

describe.skipIf(!DISTRIBUTED)('a worker-role process', () => {
  it('serves its own metrics on DEPTHMILL_METRICS_PORT, and its stage histogram moves with a task', { timeout: 120_000 }, async () => {
    const dataDir = tempDir('metrics');
    const api = await start({ dataDir, role: 'api' });
    const worker = await start({ dataDir, role: 'worker', env: { DEPTHMILL_METRICS_PORT: '0', DEPTHMILL_CONCURRENCY: '1' } });
    const metricsUrl = /depthmill worker metrics on (http:\/\/\S+)/.exec(worker.output())?.[1];
    expect(metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);

    const before = await scrape(metricsUrl!);
    expect(before.status).toBe(200);
    expect(before.families.get('depthmill_stage_duration_seconds')).toBe('HISTOGRAM');
    expect(before.families.get('depthmill_tasks_finished_total')).toBe('COUNTER');
    // The deployment-wide counts are the API's to report: a worker would only repeat them.
    expect(before.families.has('depthmill_tasks')).toBe(false);
    expect(before.families.has('depthmill_queue_waiting')).toBe(false);
    expect((await fetch(new URL('/other', metricsUrl))).status).toBe(404);

    const { clientId, clientSecret } = createClientCredentials(dataDir);
    const accessToken = await token(api.url, clientId, clientSecret);
    const created = await createTask(api.url, accessToken, form(FIELDS, [{ bytes: APPLE }]));
    expect(created.body.code, created.body.msg).toBe(200);
    const done = await waitForTask(api.url, accessToken, created.body.data.task_id);
    expect(done.body.data.state).toBe('success');
    const model = done.body.data.depth_model!;

    const after = await scrape(metricsUrl!);
    expect(
      total(after, 'depthmill_stage_duration_seconds_count', { stage: 'depth', model }) -
        total(before, 'depthmill_stage_duration_seconds_count', { stage: 'depth', model }),
    ).toBe(1);
    expect(total(after, 'depthmill_tasks_finished_total', { kind: 'depth_map', state: 'success' })).toBe(1);
    expectNoIdsInLabels(after, created.body.data.task_id);

    // The API process counts the task in the store, and never ran a stage itself.
    const apiPage = await scrape(`${api.url}/metrics`);
    expect(total(apiPage, 'depthmill_tasks', { state: 'success', kind: 'depth_map' })).toBe(1);
    expect(total(apiPage, 'depthmill_stage_duration_seconds_count')).toBe(0);
    expect((await queryTask(api.url, accessToken, created.body.data.task_id)).body.data.state).toBe('success');
  });
});
