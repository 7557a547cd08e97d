// The one validation schema of create-task's text fields (API.md). Every field is a string in the
// form; each rule names the field and its allowed values in its message, and applies the default.
import { z } from 'zod';
import { formatCodeList, isMeshFormat, OUTPUT_FORMAT_TABLE } from './formats.js';
import { LITHOPHANE_DEFAULTS, OUTPUT_FORMATS, RELIEF_DEFAULTS, type FormatCode, type SubjectBox, type TaskParams } from './task.js';

function choice<const T extends string>(values: readonly T[], fallback?: T) {
  const rule = z.enum(values as [T, ...T[]], { error: `must be one of ${values.join(', ')}` });
  return fallback === undefined ? rule : rule.default(fallback);
}

const DECIMAL = /^[+]?(\d+(\.\d*)?|\.\d+)$/;

function decimal(min: number, max: number, fallback: number) {
  const message = `must be a number from ${min} to ${max}`;
  return z
    .string()
    .regex(DECIMAL, { error: message })
    .transform(Number)
    .pipe(z.number().min(min, { error: message }).max(max, { error: message }))
    .default(fallback);
}

function httpUrl() {
  return z
    .string()
    .refine((value) => {
      try {
        const url = new URL(value);
        return url.protocol === 'http:' || url.protocol === 'https:';
      } catch {
        return false;
      }
    }, { error: 'must be an http(s) URL' });
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
    .refine((box) => box.every((value) => value <= 1), { error: 'must be four numbers from 0 to 1 (shares of the width and height, not pixels)' })
    .refine(([x0, y0, x1, y1]) => x0 < x1 && y0 < y1, { error: 'must have x0 < x1 and y0 < y1 (left before right, top before bottom)' });
}

const FORMAT_CODES = Object.keys(OUTPUT_FORMATS) as `${FormatCode}`[];
/** "3 (stl), 4 (glb) or 5 (3mf)". */
const MESH_CODES = OUTPUT_FORMAT_TABLE.filter((row) => row.kind === 'mesh')
  .map((row) => `${row.code} (${row.name})`)
  .join(', ')
  .replace(/, ([^,]*)$/, ' or $1');

export const createTaskFields = z.object({
  image_url: httpUrl().optional(),
  model_type: choice(['pro', 'base'], 'pro'),
  rmbg: choice(['0', '1'], '1'),
  degree_rmbg: decimal(0, 1, 0.02),
  response_format: choice(['url'], 'url'),
  format: z.enum(FORMAT_CODES as [string, ...string[]], {
    error: (issue) =>
      issue.input === undefined
        ? `is required: ${formatCodeList()}`
        : `must be one of ${formatCodeList('parenthesised')}`,
  }),
  callback_url: httpUrl().optional(),
  height_relief: decimal(0.1, 50, 1.3),
  width: decimal(20, 600, 40),
  shape_base: choice(['0', '1'], '0'),
  thickness_base: decimal(0.1, 20, 1),
  sculpmode: choice(['0', '1'], '0'),
  subject_box: subjectBox().optional(),
  // Beyond Hitem3D: the bas-relief engine and what a printer can make (src/relief).
  relief_style: choice(['detailed', 'smooth'], RELIEF_DEFAULTS.reliefStyle),
  detail_height: decimal(0, 2, RELIEF_DEFAULTS.detailHeight),
  relief_detail: decimal(0, 1, RELIEF_DEFAULTS.reliefDetail),
  relief_smooth: decimal(0, 5, RELIEF_DEFAULTS.reliefSmooth),
  min_feature: decimal(0, 5, RELIEF_DEFAULTS.minFeature),
  // Beyond Hitem3D: lithophanes, the photo's lightness as thickness (src/relief/lithophane.ts).
  relief_mode: choice(['relief', 'lithophane'], 'relief'),
  litho_min: decimal(0.3, 5, LITHOPHANE_DEFAULTS.lithoMin),
  litho_max: decimal(0.5, 10, LITHOPHANE_DEFAULTS.lithoMax),
  litho_frame: decimal(0, 20, LITHOPHANE_DEFAULTS.lithoFrame),
}).check((context) => {
  // A box only says where to cut the background; with the background kept it would be ignored
  // silently, which is worse than saying so.
  if (context.value.rmbg === '0' && context.value.subject_box !== undefined) {
    context.issues.push({ code: 'custom', path: ['subject_box'], message: 'only applies when the background is removed (rmbg=1)', input: context.value.subject_box });
  }
  if (context.value.relief_mode === 'lithophane') {
    if (!isMeshFormat(OUTPUT_FORMATS[Number(context.value.format) as FormatCode])) {
      context.issues.push({ code: 'custom', path: ['relief_mode'], message: `lithophane makes a mesh: format must be ${MESH_CODES}`, input: context.value.relief_mode });
    }
    if (!(context.value.litho_max > context.value.litho_min)) {
      context.issues.push({ code: 'custom', path: ['litho_max'], message: `must be more than litho_min (${context.value.litho_min})`, input: context.value.litho_max });
    }
    if (context.value.subject_box !== undefined) {
      context.issues.push({ code: 'custom', path: ['subject_box'], message: 'does not apply to a lithophane (it is always the whole photo)', input: context.value.subject_box });
    }
  }
});

export type CreateTaskFields = z.output<typeof createTaskFields>;

export function toTaskParams(fields: CreateTaskFields): TaskParams {
  return {
    modelType: fields.model_type,
    rmbg: fields.rmbg === '1',
    degreeRmbg: fields.degree_rmbg,
    format: OUTPUT_FORMATS[Number(fields.format) as FormatCode],
    responseFormat: fields.response_format,
    ...(fields.callback_url === undefined ? {} : { callbackUrl: fields.callback_url }),
    heightRelief: fields.height_relief,
    width: fields.width,
    shapeBase: fields.shape_base === '1' ? 'circle' : 'square',
    thicknessBase: fields.thickness_base,
    sculpmode: fields.sculpmode === '1' ? 'engrave' : 'emboss',
    ...(fields.subject_box === undefined ? {} : { subjectBox: fields.subject_box }),
    reliefStyle: fields.relief_style,
    detailHeight: fields.detail_height,
    reliefDetail: fields.relief_detail,
    reliefSmooth: fields.relief_smooth,
    minFeature: fields.min_feature,
    reliefMode: fields.relief_mode,
    ...(fields.relief_mode === 'lithophane' ? { lithoMin: fields.litho_min, lithoMax: fields.litho_max, lithoFrame: fields.litho_frame } : {}),
  };
}

/** "invalid parameter: <field> <rule>" for the first problem, with the value that was sent. */
export function describeIssue(issue: z.core.$ZodIssue, fields: Record<string, string>): string {
  const field = String(issue.path[0] ?? 'body');
  const sent = fields[field];
  return `invalid parameter: ${field} ${issue.message}${sent === undefined ? '' : ` (got "${sent.slice(0, 64)}")`}`;
}
