// The one table of create-task's fields: each field once, with its wire name, the name the code and
// the SDK give it, its type and range, its default, whether Hitem3D has it, which outputs it applies
// to, its help, and its command-line flag. Everything else is derived from it: the create-task
// schema (create-task-schema.ts) and its messages, TaskParams (task.ts), the SDK's TaskOptions and
// its one mapping to the form (task-fields.ts), the OpenAPI form (api/route-schemas.ts), the flags
// of `depthmill generate` and `depthmill relief`, the web UI's reading of its form, and the check of
// docs/API.md's field table. A new field is a row here and the code that uses it
// (docs/ARCHITECTURE.md). Rules across fields are kept with the schema (create-task-schema.ts).
import { formatCodeList, OUTPUT_FORMAT_TABLE, type OutputFormat } from './formats.js';

/** A decimal number as text (no exponent), from min to max. */
interface Decimal {
  kind: 'decimal';
  min: number;
  max: number;
  unit?: 'mm' | 'degrees';
}

/**
 * One of a few words. `values` lists them (sent as they are), or maps each wire value to the value
 * the code and the SDK use (`'1'` -> `'circle'`, `'1'` -> `true`).
 */
interface Choice {
  kind: 'choice';
  values: readonly string[] | Readonly<Record<string, string | boolean>>;
}

/** An http(s) URL. */
interface Url {
  kind: 'url';
}

/** An output format's code (contract/formats.ts); the code and the SDK use its name. */
interface FormatChoice {
  kind: 'formatCode';
}

/** subject_box's "x0,y0,x1,y1" (create-task-schema.ts parses it into a SubjectBox). */
interface Box {
  kind: 'box';
}

/** A file part of the multipart form, of these media types (by content). */
interface FilePart {
  kind: 'file';
  media: string;
}

export type FieldType = Decimal | Choice | Url | FormatChoice | Box | FilePart;

/**
 * Which outputs a field applies to: `task` the task itself (every output); `depth` the depth map,
 * so every output (the reliefs are made from it); `mesh` the relief formats only.
 */
export type Applies = 'task' | 'depth' | 'mesh';

/** A flag of the command line: the text before its range and default (those come from the row). */
interface Flag {
  flag: string;
  help: string;
  /** A yes/no field: its `--no-` flag's help. */
  negated?: string;
  /**
   * Also a flag of `depthmill relief` (a relief from a depth map): `true`, with the same help less
   * ", meshes only" (all it makes is meshes), or its own texts.
   */
  relief?: true | { help: string; negated?: string };
}

export interface FieldRow {
  /** The name on the wire (the form field). */
  name: string;
  /** The name in the code (TaskParams) and the SDK (TaskOptions); absent for the inputs, which the SDK takes as an image source. */
  param?: string;
  type: FieldType;
  /** The server's default, as the code and the SDK have it (a number, `true`, `'square'`). */
  default?: number | string | boolean;
  /** The form is refused without it. */
  required?: true;
  /** Hitem3D's API has it (the rest is beyond Hitem3D, and came later: tasks stored before may lack it). */
  hitem3d: boolean;
  applies: Applies;
  /** Only read when another field is read and has this value (its wire name and value); ignored otherwise. */
  only?: readonly [string, string];
  /** With `only`: sent when it is not read, the form is refused (a combination that makes no sense) rather than the field ignored. */
  strict?: true;
  /** Must be more than this field (wire name), when both are read. */
  above?: string;
  /** What it means, for people: the OpenAPI description (its values and default come from the row, a number's range is added). */
  help: string;
  cli?: Flag;
}

export const CREATE_TASK_FIELD_TABLE = [
  {
    name: 'image',
    type: { kind: 'file', media: 'image/png, image/jpeg, image/webp' },
    hitem3d: true,
    applies: 'task',
    help: 'The photo: png, jpeg or webp (decided by content), at most {max-image-size}, one file. Send either `image` or `image_url`.',
  },
  {
    name: 'image_url',
    type: { kind: 'url' },
    hitem3d: true,
    applies: 'task',
    help: 'http(s) URL of a png, jpeg or webp image (at most {max-image-size}), fetched by the server. Send either `image` or `image_url`.',
  },
  {
    name: 'model_type',
    param: 'modelType',
    type: { kind: 'choice', values: ['pro', 'base'] },
    default: 'pro',
    hitem3d: true,
    applies: 'depth',
    help: '`pro`: output long side 2048 px; `base`: 1024 px. The aspect ratio is kept.',
    cli: { flag: '--model-type <type>', help: 'pro: long side 2048 px; base: 1024 px' },
  },
  {
    name: 'rmbg',
    param: 'rmbg',
    type: { kind: 'choice', values: { '0': false, '1': true } },
    default: true,
    hitem3d: true,
    applies: 'depth',
    help: 'Remove the background: `1` gives background pixels depth 0 and alpha 0.',
    cli: {
      flag: '--rmbg',
      help: 'remove the background (the default): depth 0 and transparent there',
      negated: 'keep the background',
      relief: {
        help: 'when the map has alpha, print only where alpha >= 0.5 (the default)',
        negated: "ignore the map's alpha: a plate over the whole image",
      },
    },
  },
  {
    name: 'degree_rmbg',
    param: 'degreeRmbg',
    type: { kind: 'decimal', min: 0, max: 1 },
    default: 0.02,
    hitem3d: true,
    applies: 'depth',
    help: 'How much background removal removes: a bias on the subject cut, higher removes more, lower keeps more (0.02, the default, is neutral).',
    cli: { flag: '--degree-rmbg <n>', help: 'how much background to remove: higher removes more' },
  },
  {
    name: 'response_format',
    param: 'responseFormat',
    type: { kind: 'choice', values: ['url'] },
    default: 'url',
    hitem3d: true,
    applies: 'task',
    help: 'How query-task returns the result: a signed download link.',
  },
  {
    name: 'format',
    param: 'format',
    type: { kind: 'formatCode' },
    required: true,
    hitem3d: true,
    applies: 'task',
    help: `Output format: ${formatCodeList()}. Depth maps: near 1.0 (bright), far 0.0. Normal map (7, beyond Hitem3D): the depth map's tangent-space normals as a 16-bit PNG, OpenGL's convention (+Y up). Reliefs: a closed millimetre mesh.`,
  },
  {
    name: 'callback_url',
    param: 'callbackUrl',
    type: { kind: 'url' },
    hitem3d: true,
    applies: 'task',
    help: 'http(s) URL that receives the query-task body (JSON, signed) when the task succeeds or fails.',
  },
  {
    name: 'height_relief',
    param: 'heightRelief',
    type: { kind: 'decimal', min: 0.1, max: 50, unit: 'mm' },
    default: 1.3,
    hitem3d: true,
    applies: 'mesh',
    help: 'Relief height in millimetres (meshes only).',
    cli: { flag: '--height-relief <mm>', help: 'relief height, meshes only', relief: true },
  },
  {
    name: 'width',
    param: 'width',
    type: { kind: 'decimal', min: 20, max: 600, unit: 'mm' },
    default: 40,
    hitem3d: true,
    applies: 'mesh',
    help: 'Physical width (X extent) of the relief in millimetres (meshes only).',
    cli: { flag: '--width <mm>', help: 'physical width of the relief, meshes only', relief: true },
  },
  {
    name: 'shape_base',
    param: 'shapeBase',
    type: { kind: 'choice', values: { '0': 'square', '1': 'circle' } },
    default: 'square',
    hitem3d: true,
    applies: 'mesh',
    help: 'Base plate shape: `0` square, `1` circle (meshes only).',
    cli: { flag: '--shape-base <shape>', help: 'base plate shape, meshes only', relief: true },
  },
  {
    name: 'thickness_base',
    param: 'thicknessBase',
    type: { kind: 'decimal', min: 0.1, max: 20, unit: 'mm' },
    default: 1,
    hitem3d: true,
    applies: 'mesh',
    help: 'Base plate thickness in millimetres (meshes only).',
    cli: { flag: '--thickness-base <mm>', help: 'base plate thickness, meshes only', relief: true },
  },
  {
    name: 'sculpmode',
    param: 'sculpmode',
    type: { kind: 'choice', values: { '0': 'emboss', '1': 'engrave' } },
    default: 'emboss',
    hitem3d: true,
    applies: 'mesh',
    help: '`0` emboss (near parts stand out), `1` engrave (near parts are cut in) (meshes only).',
    cli: { flag: '--sculpmode <mode>', help: 'emboss: near parts stand out; engrave: near parts are cut in, meshes only', relief: true },
  },
  {
    name: 'mask',
    type: { kind: 'file', media: 'image/png, image/jpeg, image/webp' },
    hitem3d: false,
    applies: 'depth',
    help: "Your own background mask, replacing the mask model's: a png, jpeg or webp image of the same photo at any resolution (the same proportions), whose alpha channel (when it has transparency), else its grey level, is the foreground (white or opaque = keep). At most {max-image-size}. Only with `rmbg=1`. A mask of other proportions fails the task (5001001, saying so). Beyond Hitem3D.",
  },
  {
    name: 'subject_box',
    param: 'subjectBox',
    type: { kind: 'box' },
    hitem3d: false,
    applies: 'depth',
    help: "Where the subject is, to correct the background removal: `x0,y0,x1,y1`, the left, top, right and bottom of a box as shares (0..1) of the photo's width and height (top left origin), with x0 < x1 and y0 < y1, e.g. `0.1,0.05,0.6,1`. Outside the box is background. Only with `rmbg=1`. Beyond Hitem3D.",
    cli: {
      flag: '--subject-box <box>',
      help: 'where the subject is, "x0,y0,x1,y1" as shares 0..1 of the width and height (left, top, right, bottom): the background removal keeps to this box',
    },
  },
  {
    name: 'depth_map',
    type: { kind: 'file', media: 'image/png, image/x-exr' },
    hitem3d: false,
    applies: 'mesh',
    help: "A depth map you already have (ComfyUI, Blender, a phone's depth camera), made into a relief without the depth model, instead of `image` or `image_url` (send exactly one of the three). A PNG, 8 or 16-bit: grey, grey + alpha, or RGB(A) whose first channel is the depth; or an OpenEXR file (single-part scanline, half or float, compression none, zips or zip; channel Y, else Z, else R; optional A). Near = bright (larger); depth is stretched to 0..1 over the footprint. Alpha >= 0.5 is the footprint with `rmbg=1` (the default); `rmbg=0` ignores the alpha (a plate over the whole image). Only with `format` 3, 4 or 5; not with `mask` or `subject_box`; at most {max-image-size} and the pixel limit. Beyond Hitem3D.",
  },
  {
    name: 'relief_style',
    param: 'reliefStyle',
    type: { kind: 'choice', values: ['detailed', 'smooth'] },
    default: 'detailed',
    hitem3d: false,
    applies: 'mesh',
    help: "`detailed` (the default): the photo's own detail (eyes, nostrils and mouths, fur, wing patterns, window frames, lettering) is carved over the depth's volume, crisp where the photo has edges, `detail_height` deep; where the depth has a real step, the step wins. `smooth`: the depth alone (the engine before this field). Reliefs from a photo only (meshes only; a `depth_map` relief has no photo and is the depth alone). Beyond Hitem3D.",
    cli: {
      flag: '--relief-style <style>',
      help: "detailed: the photo's own detail (eyes, fur, patterns, lettering) carved over the depth's volume; smooth: the depth alone, meshes only",
    },
  },
  {
    name: 'detail_height',
    param: 'detailHeight',
    type: { kind: 'decimal', min: 0, max: 2, unit: 'mm' },
    default: 0.4,
    hitem3d: false,
    applies: 'mesh',
    help: "How deep, in millimetres, the photo's detail is carved in the `detailed` style (most of it, the 2nd to 98th percentile, spans this); the relief still spans `height_relief` in all (meshes only; `0` carves none). Beyond Hitem3D.",
    cli: { flag: '--detail-height <mm>', help: "how deep the photo's detail is carved in the detailed style, meshes only" },
  },
  {
    name: 'relief_detail',
    param: 'reliefDetail',
    type: { kind: 'decimal', min: 0, max: 1 },
    default: 0.7,
    hitem3d: false,
    applies: 'mesh',
    help: 'How much the relief is shaped to be read at a few millimetres (meshes only): `0` the depth map scaled as it is; higher flattens large depth steps and raises the small shape (a face, folds, petals) against them. Beyond Hitem3D.',
    cli: {
      flag: '--relief-detail <n>',
      help: 'how much the relief is shaped to read at a few mm: 0 the depth as it is, higher flattens big steps and raises small shape, meshes only',
      relief: true,
    },
  },
  {
    name: 'relief_smooth',
    param: 'reliefSmooth',
    type: { kind: 'decimal', min: 0, max: 5, unit: 'mm' },
    default: 0.5,
    hitem3d: false,
    applies: 'mesh',
    help: 'Shape finer than this many millimetres is smoothed away as photo texture, not shape (meshes only; `0` keeps it). Beyond Hitem3D.',
    cli: { flag: '--relief-smooth <mm>', help: 'shape finer than this is smoothed away as photo texture, meshes only', relief: true },
  },
  {
    name: 'min_feature',
    param: 'minFeature',
    type: { kind: 'decimal', min: 0, max: 5, unit: 'mm' },
    default: 0.8,
    hitem3d: false,
    applies: 'mesh',
    help: 'The narrowest part, in millimetres, a relief keeps (meshes only): thinner parts of a cut-out (antennae, whiskers, hair strands) are dropped, and so are pieces smaller than a square of this side. Default two 0.4 mm nozzle widths; `0` keeps everything. Beyond Hitem3D.',
    cli: { flag: '--min-feature <mm>', help: 'narrower parts and smaller pieces of a cut-out are dropped, meshes only', relief: true },
  },
  {
    name: 'relief_bend',
    param: 'reliefBend',
    type: { kind: 'decimal', min: -360, max: 360, unit: 'degrees' },
    default: 0,
    hitem3d: false,
    applies: 'mesh',
    only: ['relief_mode', 'relief'],
    help: "Bends the relief (a plate or a cut-out) around its vertical axis by this many degrees, the base following the bend: positive turns the picture's face outward (convex), negative inward (concave); `360` or `-360` closes a plate into a ring. `width` is the length of the bent base. A bent relief stands: the picture's up is Z, its bottom edge on the bed (meshes only; `0`, the default, is the flat relief). Not with a lithophane or a depth-map format; an inward bend needs `width` × 180 / (π × |relief_bend|) at least 1 mm more than `thickness_base + height_relief`. Beyond Hitem3D.",
    cli: {
      flag: '--relief-bend <degrees>',
      help: 'bend the relief around its vertical axis: + face outward, - inward, 360 a ring; it then stands on the bed, meshes only',
      relief: true,
    },
  },
  {
    name: 'relief_mode',
    param: 'reliefMode',
    type: { kind: 'choice', values: ['relief', 'lithophane'] },
    default: 'relief',
    hitem3d: false,
    applies: 'mesh',
    help: "`relief` (the default): the depth relief. `lithophane`: a plate for back-lit prints whose thickness follows the photo's lightness, dark = thick (`litho_max`), light = thin (`litho_min`); no depth model runs. Only with `format` 3, 4 or 5. A lithophane is always the whole photo as a plate, flat or bent (`litho_shape`; `shape_base` square or circle still applies to a flat one, `width` is its X extent, or its length along the curve): it ignores `rmbg`, `height_relief`, `thickness_base`, `sculpmode`, `relief_style`, `detail_height`, `relief_detail`, `relief_smooth` and `min_feature`; not with `mask`, `subject_box` or `depth_map`. Beyond Hitem3D.",
    cli: {
      flag: '--relief-mode <mode>',
      help: "relief: the depth relief; lithophane: a back-lit plate whose thickness follows the photo's lightness (dark = thick), no model, ignores rmbg and the relief's height, base and sculpmode",
    },
  },
  {
    name: 'litho_min',
    param: 'lithoMin',
    type: { kind: 'decimal', min: 0.3, max: 5, unit: 'mm' },
    default: 0.8,
    hitem3d: false,
    applies: 'mesh',
    only: ['relief_mode', 'lithophane'],
    help: 'Lithophanes (`relief_mode=lithophane`): the thickness in millimetres of the lightest part of the photo. Must be less than `litho_max`. Beyond Hitem3D.',
    cli: { flag: '--litho-min <mm>', help: 'lithophane thickness at the lightest' },
  },
  {
    name: 'litho_max',
    param: 'lithoMax',
    type: { kind: 'decimal', min: 0.5, max: 10, unit: 'mm' },
    default: 3,
    hitem3d: false,
    applies: 'mesh',
    only: ['relief_mode', 'lithophane'],
    above: 'litho_min',
    help: 'Lithophanes (`relief_mode=lithophane`): the thickness in millimetres of the darkest part of the photo and of the frame. Must be more than `litho_min`. Beyond Hitem3D.',
    cli: { flag: '--litho-max <mm>', help: 'lithophane thickness at the darkest and of the frame, more than --litho-min' },
  },
  {
    name: 'litho_frame',
    param: 'lithoFrame',
    type: { kind: 'decimal', min: 0, max: 20, unit: 'mm' },
    default: 0,
    hitem3d: false,
    applies: 'mesh',
    only: ['relief_mode', 'lithophane'],
    help: 'Lithophanes (`relief_mode=lithophane`): millimetres of full-thickness (`litho_max`) border around the picture, inside `width`; `0` none. Beyond Hitem3D.',
    cli: { flag: '--litho-frame <mm>', help: 'full-thickness border around the lithophane, 0 none' },
  },
  {
    name: 'litho_shape',
    param: 'lithoShape',
    type: { kind: 'choice', values: ['flat', 'arc', 'cylinder'] },
    default: 'flat',
    hitem3d: false,
    applies: 'mesh',
    only: ['relief_mode', 'lithophane'],
    strict: true,
    help: "Lithophanes (`relief_mode=lithophane`): `flat` (the default) a plate; `arc` bent along `litho_angle` degrees; `cylinder` a closed tube. `width` is the picture's length along the curve (radius = width ÷ angle; a cylinder's diameter is width ÷ π); the picture reads upright from outside and the thickness grows inward; a curved one stands on its edge, the photo's height upright, and prints without support. A cylinder's frame is at its top and bottom. `arc` and `cylinder` need `shape_base=0` and a radius of at least twice `litho_max`. Beyond Hitem3D.",
    cli: {
      flag: '--litho-shape <shape>',
      help: 'lithophane shape: flat plate, arc (bent along --litho-angle) or cylinder (a closed tube); width is the length along the curve',
    },
  },
  {
    name: 'litho_angle',
    param: 'lithoAngle',
    type: { kind: 'decimal', min: 10, max: 350, unit: 'degrees' },
    default: 120,
    hitem3d: false,
    applies: 'mesh',
    only: ['litho_shape', 'arc'],
    strict: true,
    help: 'Arc lithophanes (`litho_shape=arc`): the degrees of arc the picture spans. Beyond Hitem3D.',
    cli: { flag: '--litho-angle <degrees>', help: 'degrees of arc of a --litho-shape arc lithophane' },
  },
  {
    name: 'litho_color',
    param: 'lithoColor',
    type: { kind: 'choice', values: { '0': false, '1': true } },
    default: false,
    hitem3d: false,
    applies: 'mesh',
    only: ['relief_mode', 'lithophane'],
    strict: true,
    help: "Lithophanes (`relief_mode=lithophane`): `1` makes a colour lithophane, one 3MF object of four coloured parts printed from four filaments: translucent cyan, magenta and yellow slabs (from the bed up) whose thicknesses make the photo's colours, under the white lithophane that makes its light (docs/colour-lithophanes.md: the filaments, layer height and how to assign extruders). `0` (the default): one white part. Only with `format` 5 (3MF), `litho_shape=flat` and `shape_base=0`. Beyond Hitem3D.",
    cli: {
      flag: '--litho-color',
      help: 'colour lithophane: cyan, magenta, yellow and white parts in one 3MF (format 3mf, flat, square)',
      negated: 'one white part (the default)',
    },
  },
] as const satisfies readonly FieldRow[];

type Row = (typeof CREATE_TASK_FIELD_TABLE)[number];
export type FieldName = Row['name'];
/** The text fields (the ones the create-task schema validates); the rest are file parts. */
export type TextRow = Exclude<Row, { type: { kind: 'file' } }>;
export type FileRow = Extract<Row, { type: { kind: 'file' } }>;
/** Fields the code keeps in TaskParams (every text field but the image's URL). */
export type ParamRow = Extract<TextRow, { param: string }>;
export type ParamName = ParamRow['param'];

export const TEXT_FIELDS = CREATE_TASK_FIELD_TABLE.filter((row): row is TextRow => row.type.kind !== 'file');
export const FILE_FIELDS = CREATE_TASK_FIELD_TABLE.filter((row): row is FileRow => row.type.kind === 'file');
export const PARAM_FIELDS = TEXT_FIELDS.filter((row): row is ParamRow => 'param' in row);

/** The table's row of a wire name, if it is one. */
export function fieldNamed(name: string): Row | undefined {
  return CREATE_TASK_FIELD_TABLE.find((row) => row.name === name);
}

/** A choice's wire values and the code's value of each. */
export function choiceValues(type: Choice): [string, string | boolean][] {
  return Array.isArray(type.values) ? type.values.map((value: string) => [value, value]) : Object.entries(type.values);
}

/** The values a choice offers, as the code and the SDK name them. */
type ChoiceValue<V> = V extends readonly (infer E)[] ? E : V[keyof V];

/** The type of a field's value in TaskParams: what its text means. */
export type ParamValue<R> = R extends { type: { kind: 'choice'; values: infer V } }
  ? ChoiceValue<V>
  : R extends { type: { kind: 'decimal' } }
    ? number
    : R extends { type: { kind: 'box' } }
      ? SubjectBox
      : R extends { type: { kind: 'formatCode' } }
        ? OutputFormat
        : string;

/** Where the subject is: x0, y0, x1, y1 as shares (0..1) of the photo's width and height, top left origin. */
export type SubjectBox = readonly [number, number, number, number];

/**
 * The defaults, by the code's names: the create-task schema applies them, and the relief code falls
 * back to them for tasks stored before a field existed. The relief's were chosen on the relief
 * section of `npm run eval` (docs/reliefs.md "The bas-relief engine", "Lithophanes").
 */
export const FIELD_DEFAULTS = Object.fromEntries(
  PARAM_FIELDS.filter((row) => 'default' in row).map((row) => [row.param, (row as { default: unknown }).default]),
) as {
  readonly [R in Extract<ParamRow, { default: unknown }> as R['param']]: R['default'];
};

/** A text field's validated value as the code has it: a choice's meaning, a format's name (the schema parses numbers and boxes). */
export function paramValue(row: TextRow, value: unknown): unknown {
  if (row.type.kind === 'choice') return choiceValues(row.type).find(([wire]) => wire === value)?.[1];
  if (row.type.kind === 'formatCode') return OUTPUT_FORMAT_TABLE.find((format) => String(format.code) === value)?.name;
  return value;
}

/**
 * Whether a field is read, given the form's text of the others (`only`): the lithophane's fields
 * mean nothing to a relief.
 */
export function isRead(row: Row, textOf: (name: string) => string | undefined): boolean {
  if (!('only' in row)) return true;
  const [name, value] = row.only;
  const parent = fieldNamed(name);
  return textOf(name) === value && (parent === undefined || isRead(parent, textOf));
}

/** A field's default as its form text (a choice's wire value, a number's digits), if it has one. */
export function defaultText(row: FieldRow): string | undefined {
  if (row.default === undefined) return undefined;
  if (row.type.kind === 'choice') return choiceValues(row.type).find(([, value]) => value === row.default)?.[0];
  return String(row.default);
}
