// docs/API.md is the contract a clone of the repository has: it must not go stale. Each check reads
// the code's own table (the error catalog, the table of create-task fields with each field's values,
// range, default and origin, the output formats, the routes the app registers, from the OpenAPI
// document the app generates in-process, no port opened) and looks for every entry in the
// document, so a new code, field, format or route fails here until it is documented.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import type { FastifyInstance } from 'fastify';
import { buildApp, type AppDeps } from '../../src/api/app.js';
import { loadConfig } from '../../src/config.js';
import { Errors, type ErrorEntry } from '../../src/contract/errors.js';
import { choiceValues, CREATE_TASK_FIELD_TABLE, type FieldRow, OUTPUT_FORMAT_TABLE } from '@depthmill/client/contract';

const API_DOC = resolve(import.meta.dirname, '../../docs/API.md');

/** The document's table rows, each as its trimmed cells. */
function tableRows(text: string): string[][] {
  return text
    .split('\n')
    .filter((line) => /^\|.*\|\s*$/.test(line) && !/^\|\s*-/.test(line))
    .map((line) =>
      line
        .trim()
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((cell) => cell.trim()),
    );
}

/** "0.1 .. 50 (mm)", "`0` square, `1` circle", "`1` exr, …": a field's values as the document's table states them. */
function expectedValues(field: FieldRow): string | RegExp {
  switch (field.type.kind) {
    case 'decimal':
      return `${field.type.min} .. ${field.type.max}${field.type.unit ? ` (${field.type.unit})` : ''}`;
    case 'choice':
      return choiceValues(field.type)
        .map(([wire, value]) => (typeof value === 'string' && value !== wire ? `\`${wire}\` ${value}` : `\`${wire}\``))
        .join(', ');
    case 'formatCode':
      return OUTPUT_FORMAT_TABLE.map((format) => `\`${format.code}\` ${format.name}`).join(', ');
    case 'url':
      return /^http\(s\) URL/;
    case 'box':
      return /^`x0,y0,x1,y1`: four numbers 0 \.\. 1/;
    case 'file':
      return /^file: /;
  }
}

/** "1.3", "`pro`", "required", or nothing. */
function expectedDefault(field: FieldRow): string {
  if (field.required) return 'required';
  if (field.default === undefined) return '';
  if (field.type.kind === 'choice') return `\`${choiceValues(field.type).find(([, value]) => value === field.default)![0]}\``;
  return String(field.default);
}

/** Routes are never called here: the app is built only for the document its routes make. */
const unused = new Proxy({}, { get: () => () => Promise.reject(new Error('not used by this test')) });

let app: FastifyInstance;
let rows: string[][];
let text: string;

beforeAll(async () => {
  text = readFileSync(API_DOC, 'utf8');
  rows = tableRows(text);
  const config = loadConfig({
    DEPTHMILL_DATA: resolve(import.meta.dirname, 'unused-data'),
    DEPTHMILL_MODEL_BASE: 'fastdepth',
    DEPTHMILL_MODEL_PRO: 'fastdepth',
  });
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
      expect(
        row,
        `error code ${entry.code} (HTTP ${entry.status}) has no row "| ${entry.code} | ${entry.status} | …" in docs/API.md`,
      ).toBeDefined();
    }
  });

  it("has a row for every create-task field of the table, with the table's values, range, default and origin", () => {
    expect(CREATE_TASK_FIELD_TABLE.length).toBeGreaterThan(20);
    for (const field of CREATE_TASK_FIELD_TABLE) {
      const row = rows.find((cells) => cells[0] === `\`${field.name}\``);
      expect(row, `create-task field ${field.name} has no row "| \`${field.name}\` | …" in docs/API.md`).toBeDefined();
      const [, values, fallback, meaning, origin] = row!;
      const typeText = expectedValues(field);
      if (typeText instanceof RegExp) expect(values, `${field.name}'s values`).toMatch(typeText);
      else expect(values, `${field.name}'s values`).toBe(typeText);
      expect(fallback, `${field.name}'s default`).toBe(expectedDefault(field));
      expect(origin, `${field.name}: Hitem3D's or beyond`).toBe(field.hitem3d ? 'Hitem3D' : 'beyond Hitem3D');
      // Which outputs it applies to: a relief's field says so.
      const meshOnly = /meshes only|`format` 3, 4 or 5|^lithophanes/;
      if (field.applies === 'mesh') expect(meaning, `${field.name} applies to meshes only`).toMatch(meshOnly);
      else expect(meaning, `${field.name} applies to every output`).not.toMatch(meshOnly);
    }
  });

  it('has a row for every output format: its code, name and media type', () => {
    for (const format of OUTPUT_FORMAT_TABLE) {
      const row = rows.find((cells) => cells[0] === String(format.code) && cells[1] === `\`${format.name}\``);
      expect(
        row,
        `format ${format.code} (${format.name}) has no row "| ${format.code} | \`${format.name}\` | …" in docs/API.md`,
      ).toBeDefined();
      expect(row![2], `format ${format.code}'s media type`).toBe(`\`${format.mediaType}\``);
    }
  });

  it('names every route the app registers, with its method', () => {
    const document = app.swagger() as { paths: Record<string, Record<string, unknown>> };
    const routes = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(routes.length).toBeGreaterThan(8);
    for (const route of routes) expect(text, `${route} is not in docs/API.md`).toContain(route);
    // The two the document leaves out (it lists only the API's own routes): itself and its viewer.
    for (const path of ['/openapi.json', '/docs']) {
      expect(app.hasRoute({ method: 'GET', url: path }), path).toBe(true);
      expect(text).toContain(`GET ${path}`);
    }
  });
});
