// The one validation schema of create-task's text fields (API.md), built from the table of fields
// (fields.ts). Every field is a string in the form; each rule names the field and its allowed
// values in its message, and applies the default.
import { z } from 'zod';
import {
  choiceValues,
  defaultText,
  fieldNamed,
  type FieldRow,
  formatCodeList,
  isMeshFormat,
  isRead,
  OUTPUT_FORMAT_TABLE,
  PARAM_FIELDS,
  paramValue,
  type SubjectBox,
  TEXT_FIELDS,
  type TextRow,
} from '@depthmill/client/contract';
import { OUTPUT_FORMATS, type FormatCode, type TaskParams } from './task.js';

function choice<const T extends string>(values: readonly T[], fallback?: T) {
  const rule = z.enum(values as [T, ...T[]], { error: `must be one of ${values.join(', ')}` });
  return fallback === undefined ? rule : rule.default(fallback);
}

const DECIMAL = /^[+]?(\d+(\.\d*)?|\.\d+)$/;
/** A field whose range goes below 0 (relief_bend) takes a minus sign too. */
const SIGNED_DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;

function decimal(min: number, max: number, fallback?: number) {
  const message = `must be a number from ${min} to ${max}`;
  const rule = z
    .string()
    .regex(min < 0 ? SIGNED_DECIMAL : DECIMAL, { error: message })
    .transform(Number)
    .pipe(z.number().min(min, { error: message }).max(max, { error: message }));
  return fallback === undefined ? rule.optional() : rule.default(fallback);
}

function httpUrl() {
  return z.string().refine(
    (value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'http:' || url.protocol === 'https:';
      } catch {
        return false;
      }
    },
    { error: 'must be an http(s) URL' },
  );
}

const DECIMAL_TEXT = String.raw`\s*[+]?(\d+(\.\d*)?|\.\d+)\s*`;
const BOX_TEXT = new RegExp(`^${DECIMAL_TEXT},${DECIMAL_TEXT},${DECIMAL_TEXT},${DECIMAL_TEXT}$`);

/**
 * subject_box: "x0,y0,x1,y1", the subject's box as shares of the photo's width and height (left,
 * top, right, bottom). Each rule says what is wrong, so a client that sends pixels or a reversed
 * box learns which.
 */
function subjectBox() {
  return z
    .string()
    .regex(BOX_TEXT, { error: 'must be four numbers "x0,y0,x1,y1" (left, top, right, bottom as shares 0..1 of the width and height)' })
    .transform((text) => text.split(',').map(Number) as unknown as SubjectBox)
    .refine((box) => box.every((value) => value <= 1), {
      error: 'must be four numbers from 0 to 1 (shares of the width and height, not pixels)',
    })
    .refine(([x0, y0, x1, y1]) => x0 < x1 && y0 < y1, { error: 'must have x0 < x1 and y0 < y1 (left before right, top before bottom)' });
}

const FORMAT_CODES = Object.keys(OUTPUT_FORMATS) as `${FormatCode}`[];
/** "3 (stl), 4 (glb) or 5 (3mf)". */
const MESH_CODES = OUTPUT_FORMAT_TABLE.filter((row) => row.kind === 'mesh')
  .map((row) => `${row.code} (${row.name})`)
  .join(', ')
  .replace(/, ([^,]*)$/, ' or $1');

function formatCode() {
  return z.enum(FORMAT_CODES as [string, ...string[]], {
    error: (issue) =>
      issue.input === undefined ? `is required: ${formatCodeList()}` : `must be one of ${formatCodeList('parenthesised')}`,
  });
}

/**
 * A field's rule, from its row in contract/fields.ts: its type, range and default. A `strict` field
 * gets its default in toTaskParams instead, so the check below can tell it was sent.
 */
function ruleOf(row: FieldRow): z.ZodType {
  const { type } = row;
  const fallback = row.strict ? undefined : row.default;
  switch (type.kind) {
    case 'decimal':
      return decimal(type.min, type.max, fallback as number | undefined);
    case 'choice': {
      const values = choiceValues(type);
      const wire = values.find(([, value]) => value === fallback)?.[0];
      const rule = choice(
        values.map(([text]) => text),
        wire,
      );
      return fallback === undefined && row.default !== undefined ? rule.optional() : rule;
    }
    case 'url':
      return httpUrl().optional();
    case 'formatCode':
      return formatCode();
    case 'box':
      return subjectBox().optional();
    case 'file':
      throw new TypeError(`${row.name} is a file, not a text field`);
  }
}

/** What the form's text fields are after validation: the choices' wire values, numbers, the box. */
type WireValue<R> = R extends { type: { kind: 'decimal' } }
  ? number
  : R extends { type: { kind: 'box' } }
    ? SubjectBox
    : R extends { type: { kind: 'choice'; values: infer V } }
      ? V extends readonly (infer E)[]
        ? E
        : keyof V & string
      : string;
type Shape = {
  [R in TextRow as R['name']]: z.ZodType<
    R extends { strict: true }
      ? WireValue<R> | undefined
      : R extends { default: unknown } | { required: true }
        ? WireValue<R>
        : WireValue<R> | undefined,
    string | undefined
  >;
};

const shape = Object.fromEntries(TEXT_FIELDS.map((row) => [row.name, ruleOf(row)])) as Shape;

/**
 * The fields' rules, then the rules across fields, in this order (the first problem is the one a
 * client is told): the special use of the few fields they name, and a field that must be more
 * than another (`above` in the table).
 */
export const createTaskFields = z.object(shape).check((context) => {
  const fields = context.value;
  // A box only says where to cut the background; with the background kept it would be ignored
  // silently, which is worse than saying so.
  if (fields.rmbg === '0' && fields.subject_box !== undefined) {
    context.issues.push({
      code: 'custom',
      path: ['subject_box'],
      message: 'only applies when the background is removed (rmbg=1)',
      input: fields.subject_box,
    });
  }
  const lithophane = fields.relief_mode === 'lithophane';
  if (lithophane && !isMeshFormat(OUTPUT_FORMATS[Number(fields.format) as FormatCode])) {
    context.issues.push({
      code: 'custom',
      path: ['relief_mode'],
      message: `lithophane makes a mesh: format must be ${MESH_CODES}`,
      input: fields.relief_mode,
    });
  }
  const textOf = (name: string) => String((fields as Record<string, unknown>)[name]);
  for (const row of TEXT_FIELDS) {
    if (!('above' in row) || !isRead(row, textOf)) continue;
    const value = fields[row.name];
    const floor = fields[row.above];
    if (!(value > floor))
      context.issues.push({ code: 'custom', path: [row.name], message: `must be more than ${row.above} (${floor})`, input: value });
  }
  if (lithophane && fields.subject_box !== undefined) {
    context.issues.push({
      code: 'custom',
      path: ['subject_box'],
      message: 'does not apply to a lithophane (it is always the whole photo)',
      input: fields.subject_box,
    });
  }
  // A `strict` field sent where it means nothing (litho_angle without an arc) is a mistake to say.
  const textOrDefault = (name: string) =>
    ((fields as Record<string, unknown>)[name] as string | undefined) ?? defaultText(fieldNamed(name)!);
  for (const row of TEXT_FIELDS) {
    if (!('strict' in row) || fields[row.name] === undefined || isRead(row, textOrDefault)) continue;
    const [name, value] = row.only;
    const parent = fieldNamed(name) as FieldRow;
    const why = textOrDefault(name) === value && parent.only ? ` and ${name} only with ${parent.only[0]}=${parent.only[1]}` : '';
    context.issues.push({ code: 'custom', path: [row.name], message: `only applies with ${name}=${value}${why}`, input: fields[row.name] });
  }
  // A curved lithophane is the rectangle bent, and its wall must not pinch: radius (width / angle) at least twice litho_max.
  const shape = textOrDefault('litho_shape');
  if (lithophane && shape !== 'flat') {
    if (fields.shape_base !== '0')
      context.issues.push({
        code: 'custom',
        path: ['litho_shape'],
        message: `${shape} bends the rectangular plate: shape_base must be 0 (square)`,
        input: shape,
      });
    const degrees = shape === 'cylinder' ? 360 : Number(textOrDefault('litho_angle'));
    const radius = fields.width / ((degrees * Math.PI) / 180);
    if (radius < 2 * fields.litho_max) {
      const least = Math.ceil(2 * fields.litho_max * ((degrees * Math.PI) / 180));
      context.issues.push({
        code: 'custom',
        path: ['width'],
        message: `gives ${shape === 'arc' ? 'an arc' : 'a cylinder'} of radius ${radius.toFixed(1)} mm (width / ${degrees}°), less than twice litho_max (${fields.litho_max}): make width at least ${least}${shape === 'arc' ? ', litho_angle smaller' : ''} or litho_max less`,
        input: fields.width,
      });
    }
  }
  // A colour lithophane is four parts of one object, which only 3MF carries; its slabs are stacked on a flat square grid.
  if (lithophane && fields.litho_color === '1') {
    const refuse = (message: string) => context.issues.push({ code: 'custom', path: ['litho_color'], message, input: '1' });
    if (OUTPUT_FORMATS[Number(fields.format) as FormatCode] !== '3mf')
      refuse('needs format 5 (3mf): only 3MF carries the parts and their colours');
    else if (shape !== 'flat') refuse(`makes a flat plate: litho_shape must be flat, not ${shape}`);
    else if (fields.shape_base !== '0') refuse('makes a rectangular plate: shape_base must be 0 (square)');
  }
  checkBend(fields, lithophane, (issue) => context.issues.push({ code: 'custom', path: ['relief_bend'], ...issue }));
});

/**
 * An inward bend puts the face on the inside of the curve, at the base's radius less the relief's
 * thickness: it must keep at least this many millimetres (relief/bend.ts checks the same).
 */
export const INWARD_BEND_MIN_RADIUS = 1;

/**
 * relief_bend's rules: a bend shapes a relief's mesh, so a depth-map format or a lithophane (always
 * a flat plate) would ignore it silently; an inward bend tighter than the relief is thick would
 * turn the face through itself.
 */
function checkBend(
  fields: { relief_bend: number; format: string; width: number; thickness_base: number; height_relief: number },
  lithophane: boolean,
  refuse: (issue: { message: string; input: number }) => void,
): void {
  const bend = fields.relief_bend;
  if (bend === 0) return;
  if (!isMeshFormat(OUTPUT_FORMATS[Number(fields.format) as FormatCode]))
    refuse({ message: `bends a relief: format must be ${MESH_CODES}`, input: bend });
  else if (lithophane) refuse({ message: 'does not apply to a lithophane (it is always a flat plate)', input: bend });
  else if (bend < 0) {
    const radius = (fields.width * 180) / (Math.PI * -bend);
    const thickness = fields.thickness_base + fields.height_relief;
    if (radius - thickness < INWARD_BEND_MIN_RADIUS) {
      const most = Math.floor(((fields.width * 180) / (Math.PI * (thickness + INWARD_BEND_MIN_RADIUS))) * 10) / 10;
      refuse({
        message: `bends inward tighter than the relief is thick: at width ${fields.width} mm, thickness_base + height_relief = ${thickness} mm allow an inward bend of at most ${most} degrees (-${most})`,
        input: bend,
      });
    }
  }
}

export type CreateTaskFields = z.output<typeof createTaskFields>;

/** The validated fields in the names and values the code uses (TaskParams); fields not read (`only`) are left out. */
export function toTaskParams(fields: CreateTaskFields): TaskParams {
  const texts = fields as Record<string, unknown>;
  // A `strict` field not sent has its default here (the schema leaves it out, to tell).
  const textOf = (name: string) => (texts[name] === undefined ? defaultText(fieldNamed(name)!) : String(texts[name]));
  const params: Record<string, unknown> = {};
  for (const row of PARAM_FIELDS) {
    const { strict, default: fallback } = row as FieldRow;
    // A number's default is the number; a choice's, its wire value (paramValue gives its meaning).
    const value = texts[row.name] ?? (strict ? (row.type.kind === 'decimal' ? fallback : defaultText(row)) : undefined);
    if (value !== undefined && isRead(row, textOf)) params[row.param] = paramValue(row, value);
  }
  return params as unknown as TaskParams;
}

/** "invalid parameter: <field> <rule>" for the first problem, with the value that was sent. */
export function describeIssue(issue: z.core.$ZodIssue, fields: Record<string, string>): string {
  const field = String(issue.path[0] ?? 'body');
  const sent = fields[field];
  return `invalid parameter: ${field} ${issue.message}${sent === undefined ? '' : ` (got "${sent.slice(0, 64)}")`}`;
}
