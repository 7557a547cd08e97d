// A create-task field is declared once: in the table of fields (packages/client/src/contract/fields.ts, the SDK's), from which
// the schema, TaskParams, the SDK's options, the OpenAPI form, the command line's flags and the web
// UI's reading of its form are derived. This counts, for each field of the table, the files of the
// declaring layers (the SDK, contract, api, cli, web/src) that spell its wire name or its name in the
// code: the table, and at most one special use (a rule across fields, a parser). Code that acts on
// a field's value elsewhere (the mask needs the background removed, a lithophane loads no model) is
// listed in USES with why; a file not listed fails, and so does a listed one that no longer spells
// the field, so the list only shrinks.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CREATE_TASK_FIELD_TABLE, PARAM_FIELDS } from '@depthmill/client/contract';

const ROOT = resolve(import.meta.dirname, '../..');
const LAYERS = ['packages/client/src', 'src/contract', 'src/api', 'src/cli', 'src/client', 'web/src'];
const TABLE = 'packages/client/src/contract/fields.ts';

/**
 * Names that are also ordinary words of the code in another sense (an image's width, a file's
 * format): counted where they are spelled as a name in quotes, the way a list or a map of fields
 * would spell them.
 */
const ORDINARY_WORDS = new Set(['format', 'width']);

/** Files that act on a field's value beyond its one special use, and why. */
const USES: Record<string, Record<string, string>> = {
  format: {
    'web/src/main.ts': "a CSS class of the download list (the format's name), not the field",
  },
  model_type: {
    'src/api/routes.ts': 'logs the model a task asked for',
    'src/api/route-schemas.ts': 'documents GET /open-api/v1/depth/models: the depth model serving each model_type',
    'src/cli/generate.ts': 'loads that depth model once, before the batch',
    'src/cli/serve-help.ts': 'says which variable chooses the model of each model_type',
  },
  rmbg: {
    'src/api/create-task-form.ts': 'refuses a mask file when the background is kept',
    'src/cli/generate.ts': 'refuses --mask and --mask-out when the background is kept, loads the mask model; an example of its help',
    'src/cli/relief.ts': 'an example of its help',
    'web/src/main.ts': "hides the cut when the background is kept; a relief from the result's depth map keeps its cut",
  },
  callback_url: {
    'src/api/create-task-form.ts': 'refuses a callback address the outbound checks refuse',
    'src/cli/serve-help.ts': 'says which variable lets it reach internal hosts',
  },
  subject_box: {
    'src/api/depth-map-input.ts': 'refuses it with a depth_map file',
    'web/src/main.ts': 'the box drawn on the cut, kept with the result it made',
  },
  relief_bend: {
    'web/src/main.ts': 'turns the relief scale off for a bent relief, which stands (the scale stretches Z)',
  },
  litho_color: {
    'web/src/main.ts': "previews a colour lithophane as its 3MF seen back-lit (a GLB cannot carry the parts' colours)",
  },
  relief_mode: {
    'src/contract/task-kind.ts': 'a lithophane is a kind of task of its own (metrics, credits)',
    'src/api/create-task-form.ts': 'refuses a mask file with a lithophane',
    'src/api/depth-map-input.ts': 'refuses a lithophane of a depth_map file',
    'web/src/main.ts': 'shows the controls of the kind of relief chosen',
  },
};

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return /\.ts$/.test(entry.name) ? [path] : [];
  });
}

function spelling(name: string): RegExp {
  const escaped = name.replace(/[$]/g, '\\$&');
  return ORDINARY_WORDS.has(name) ? new RegExp(`(['"\`])${escaped}\\1`) : new RegExp(`(?<![A-Za-z0-9_$])${escaped}(?![A-Za-z0-9_$])`);
}

const files = LAYERS.flatMap(sourceFiles).map((path) => ({
  path: relative(ROOT, join(ROOT, path)),
  text: readFileSync(join(ROOT, path), 'utf8'),
}));

/** The files that spell a field's wire name or its name in the code. */
function spelledIn(field: { name: string; param: string }): string[] {
  const patterns = [...new Set([field.name, field.param])].map(spelling);
  return files.filter((file) => patterns.some((pattern) => pattern.test(file.text))).map((file) => file.path);
}

describe('the table of create-task fields', () => {
  it('is where every field with a name in the code is spelled, and at most one other file besides the uses listed', () => {
    expect(files.length).toBeGreaterThan(30);
    expect(PARAM_FIELDS.length).toBeGreaterThan(18);
    const problems: string[] = [];
    for (const field of PARAM_FIELDS) {
      const spelled = spelledIn(field);
      if (!spelled.includes(TABLE)) problems.push(`${field.name} is not in ${TABLE}`);
      const uses = USES[field.name] ?? {};
      const others = spelled.filter((path) => path !== TABLE && !(path in uses));
      if (others.length > 1)
        problems.push(`${field.name} (${field.param}) is spelled in ${others.length} files besides the table: ${others.join(', ')}`);
      for (const path of Object.keys(uses))
        if (!spelled.includes(path)) problems.push(`USES lists ${path} for ${field.name}, which no longer spells it`);
    }
    // Declare a field in the table only; a file that acts on its value goes in USES, with why.
    expect(problems).toEqual([]);
  });

  it('names only fields it has: in its rows (`only`, `above`) and in the uses listed here', () => {
    const names = new Set<string>(CREATE_TASK_FIELD_TABLE.map((row) => row.name));
    expect(names.size, 'each field once').toBe(CREATE_TASK_FIELD_TABLE.length);
    for (const row of CREATE_TASK_FIELD_TABLE) {
      if ('only' in row) expect(names.has(row.only[0]), `${row.name}'s only`).toBe(true);
      if ('above' in row) expect(names.has(row.above), `${row.name}'s above`).toBe(true);
    }
    for (const name of Object.keys(USES)) expect(names.has(name), name).toBe(true);
  });
});
