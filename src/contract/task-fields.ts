// The create-task options as clients name them (the SDK's TaskOptions) and the one mapping from
// them to the form fields (all strings, API.md): the SDK, the command line and the web UI send
// what this makes, and the server's schema (create-task-schema.ts) reads it back.
import { formatCodeList, OUTPUT_FORMAT_TABLE } from './formats.js';
import type { FormatCode, OutputFormat, SubjectBox, TaskParams } from './task.js';

/** What the task should produce; every field but `format` has the server's default (API.md). */
export interface TaskOptions {
  /** exr | png | bmp (depth maps) or stl | glb | 3mf (reliefs); the API's codes 1..6 work too. */
  format: OutputFormat | FormatCode;
  /** pro: long side 2048 px; base: 1024 px. Default pro. */
  modelType?: 'pro' | 'base';
  /** Remove the background (depth 0, alpha 0 there). Default true. */
  rmbg?: boolean;
  /** 0..1, default 0.02: higher removes more background. */
  degreeRmbg?: number;
  /** The server POSTs the finished task here, signed (see verifyCallback). */
  callbackUrl?: string;
  /** Relief height in mm (0.1..50, default 1.3); meshes only. */
  heightRelief?: number;
  /** Physical width in mm (20..600, default 40); meshes only. */
  width?: number;
  /** Base plate shape; default square. Meshes only. */
  shapeBase?: 'square' | 'circle';
  /** Base plate thickness in mm (0.1..20, default 1); meshes only. */
  thicknessBase?: number;
  /** emboss (near is high) or engrave (near is deep); default emboss. Meshes only. */
  sculpmode?: 'emboss' | 'engrave';
  /**
   * Where the subject is, [x0, y0, x1, y1] as shares (0..1) of the photo's width and height, top
   * left origin: the background removal keeps to this box. Only with rmbg (the default).
   */
  subjectBox?: SubjectBox;
  /**
   * detailed (default): the photo's own detail (eyes, fur, patterns, lettering) carved over the
   * depth's volume; smooth: the depth alone. Reliefs made from a photo only. Meshes only.
   */
  reliefStyle?: 'detailed' | 'smooth';
  /** mm (0..2, default 0.4): how deep the photo's detail is carved in the detailed style. Meshes only. */
  detailHeight?: number;
  /** 0..1, default 0.7: how much the relief is shaped to read at a few mm (0: the depth as it is). Meshes only. */
  reliefDetail?: number;
  /** mm (0..5, default 0.5): shape finer than this is smoothed away as texture. Meshes only. */
  reliefSmooth?: number;
  /** mm (0..5, default 0.8): narrower parts and smaller pieces of a cut-out are dropped. Meshes only. */
  minFeature?: number;
  /**
   * relief (default) or lithophane: a plate for back-lit prints, the photo's lightness as its
   * thickness (dark = thick); meshes only, no depth model; rmbg and the relief's height, base,
   * sculpmode and engine fields are ignored.
   */
  reliefMode?: 'relief' | 'lithophane';
  /** Lithophanes: mm (0.3..5, default 0.8) at the lightest; less than lithoMax. */
  lithoMin?: number;
  /** Lithophanes: mm (0.5..10, default 3) at the darkest and the frame; more than lithoMin. */
  lithoMax?: number;
  /** Lithophanes: mm (0..20, default 0 = none) of full-thickness border around the picture. */
  lithoFrame?: number;
}

/**
 * TaskOptions as a command line has them: numbers (and the box) may still be the text the user
 * typed, which the server's schema then checks exactly as it checks any client's.
 */
export type TaskFieldValues = {
  [K in keyof TaskOptions]: K extends 'format' ? TaskOptions[K] : TaskOptions[K] extends infer T ? (T extends number | SubjectBox ? T | string : T) : never;
};

function formatCode(format: OutputFormat | FormatCode): string {
  const row = OUTPUT_FORMAT_TABLE.find((candidate) => candidate.code === format || candidate.name === format);
  if (!row) throw new RangeError(`unknown format ${JSON.stringify(format)}: use one of ${formatCodeList()}`);
  return String(row.code);
}

/** A number as the API's decimal fields take it: plain digits, never an exponent. */
function decimalText(value: number | string): string {
  if (typeof value === 'string') return value;
  const text = String(value);
  return /e/i.test(text) ? value.toFixed(6).replace(/\.?0+$/, '') : text;
}

/**
 * The create-task form fields (all strings, API.md) for these options; unset ones are left to the
 * server. The one mapping from options to fields: the SDK, the command line and the web UI use it.
 */
export function taskFields(options: TaskFieldValues): Record<string, string> {
  const fields: Record<string, string> = { format: formatCode(options.format) };
  if (options.modelType !== undefined) fields.model_type = options.modelType;
  if (options.rmbg !== undefined) fields.rmbg = options.rmbg ? '1' : '0';
  if (options.degreeRmbg !== undefined) fields.degree_rmbg = decimalText(options.degreeRmbg);
  if (options.callbackUrl !== undefined) fields.callback_url = options.callbackUrl;
  if (options.heightRelief !== undefined) fields.height_relief = decimalText(options.heightRelief);
  if (options.width !== undefined) fields.width = decimalText(options.width);
  if (options.shapeBase !== undefined) fields.shape_base = options.shapeBase === 'circle' ? '1' : '0';
  if (options.thicknessBase !== undefined) fields.thickness_base = decimalText(options.thicknessBase);
  if (options.sculpmode !== undefined) fields.sculpmode = options.sculpmode === 'engrave' ? '1' : '0';
  if (options.reliefStyle !== undefined) fields.relief_style = options.reliefStyle;
  if (options.detailHeight !== undefined) fields.detail_height = decimalText(options.detailHeight);
  if (options.reliefDetail !== undefined) fields.relief_detail = decimalText(options.reliefDetail);
  if (options.reliefSmooth !== undefined) fields.relief_smooth = decimalText(options.reliefSmooth);
  if (options.minFeature !== undefined) fields.min_feature = decimalText(options.minFeature);
  if (options.reliefMode !== undefined) fields.relief_mode = options.reliefMode;
  if (options.lithoMin !== undefined) fields.litho_min = decimalText(options.lithoMin);
  if (options.lithoMax !== undefined) fields.litho_max = decimalText(options.lithoMax);
  if (options.lithoFrame !== undefined) fields.litho_frame = decimalText(options.lithoFrame);
  if (options.subjectBox !== undefined) {
    const box = options.subjectBox;
    fields.subject_box = typeof box === 'string' ? box : box.map(decimalText).join(',');
  }
  return fields;
}

/** The options a task was made with, as a client would send them again (the command line's --server). */
export function taskOptionsOf(params: TaskParams): Omit<TaskOptions, 'format'> {
  const { modelType, rmbg, degreeRmbg, heightRelief, width, shapeBase, thicknessBase, sculpmode, subjectBox, reliefStyle, detailHeight, reliefDetail, reliefSmooth, minFeature, reliefMode, lithoMin, lithoMax, lithoFrame } = params;
  const options: Omit<TaskOptions, 'format'> = { modelType, rmbg, degreeRmbg, heightRelief, width, shapeBase, thicknessBase, sculpmode };
  if (subjectBox) options.subjectBox = subjectBox;
  if (reliefStyle !== undefined) options.reliefStyle = reliefStyle;
  if (detailHeight !== undefined) options.detailHeight = detailHeight;
  if (reliefDetail !== undefined) options.reliefDetail = reliefDetail;
  if (reliefSmooth !== undefined) options.reliefSmooth = reliefSmooth;
  if (minFeature !== undefined) options.minFeature = minFeature;
  if (reliefMode === 'lithophane') Object.assign(options, { reliefMode, lithoMin, lithoMax, lithoFrame });
  return options;
}
