// docs/API.md is the contract a clone of the repository has: it must not go stale. Each check reads
// the code's own table (the error catalog, the create-task schema, the output formats, the routes
// the app registers, from the OpenAPI document the app generates in-process, no port opened) and
// looks for every entry in the document, so a new code, field, format or route fails here until it
// is documented.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { createTaskFields } from '../../src/contract/create-task-schema.js';
import { Errors, type ErrorEntry } from '../../src/contract/errors.js';
import { OUTPUT_FORMAT_TABLE } from '../../src/contract/formats.js';

const API_DOC = resolve(import.meta.dirname, '../../docs/API.md');

/** The document's table rows, each as its trimmed cells. */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => /^\|.*\|\s*$/.test(line) && !/^\|\s*-/.test(line))
    .map((line) => line.trim().slice(1, -1).split(/(?<!\\)\|/).map((cell) => cell.trim()));
}

/** Routes are never called here: the app is built only for the document its routes make. */
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used by this test')) });

let app: FastifyInstance;
let rows: string[][];
let text: string;

beforeAll(async () => {
  text = readFileSync(API_DOC, 'utf8');
  rows = tableRows(text);
  const config = loadConfig({ DEPTHMILL_DATA: resolve(import.meta.dirname, 'unused-data'), DEPTHMILL_MODEL_BASE: 'fastdepth', DEPTHMILL_MODEL_PRO: 'fastdepth' });
  const deps = {
    config,
    logger: pino({ level: 'silent' }),
    tasks: unused,
    clients: unused,
    blobs: unused,
    tokens: unused,
    links: unused,
    outbound: unused,
    readiness: { database: unused, queue: unused, blobs: unused },
    metrics: { contentType: 'text/plain', render: async () => '', httpRequest: () => undefined },
  } as unknown as AppDeps;
  app = await buildApp(deps);
  await app.ready();
});

afterAll(async () => {
  await app?.close();
});

describe('docs/API.md', () => {
  it('lists every error code of the catalog with its HTTP status on the same table row', () => {
    for (const entry of Object.values(Errors) as ErrorEntry[]) {
      const row = rows.find((cells) => cells[0] === String(entry.code) && cells[1] === String(entry.status));
      expect(row, `error code ${entry.code} (HTTP ${entry.status}) has no row "| ${entry.code} | ${entry.status} | …" in docs/API.md`).toBeDefined();
    }
  });

  it("has a row for every create-task field, the files included", () => {
    const fields = [...Object.keys(createTaskFields.shape), 'image', 'mask', 'depth_map'];
    expect(fields.length).toBeGreaterThan(20);
    for (const field of fields) {
      const row = rows.find((cells) => cells[0] === `\`${field}\``);
      expect(row, `create-task field ${field} has no row "| \`${field}\` | …" in docs/API.md`).toBeDefined();
    }
  });

  it('has a row for every output format: its code, name and media type', () => {
    for (const format of OUTPUT_FORMAT_TABLE) {
      const row = rows.find((cells) => cells[0] === String(format.code) && cells[1] === `\`${format.name}\``);
      expect(row, `format ${format.code} (${format.name}) has no row "| ${format.code} | \`${format.name}\` | …" in docs/API.md`).toBeDefined();
      expect(row![2], `format ${format.code}'s media type`).toBe(`\`${format.mediaType}\``);
    }
  });

  it('names every route the app registers, with its method', () => {
    const document = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) => Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`));
    expect(routes.length).toBeGreaterThan(8);
    for (const route of routes) expect(text, `${route} is not in docs/API.md`).toContain(route);
    // The two the document leaves out (it lists only the API's own routes): itself and its viewer.
    for (const path of ['/openapi.json', '/docs']) {
      expect(app.hasRoute({ method: 'GET', url: path }), path).toBe(true);
      expect(text).toContain(`GET ${path}`);
    }
  });
});
