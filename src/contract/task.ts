// What a task is: its states, parameters and outcome, independent of storage and transport.
import type { OutputFormat } from './formats.js';

export { OUTPUT_FORMATS, type FormatCode, type OutputFormat } from './formats.js';

/** In this order (API.md). */
export const TASK_STATES = ['created', 'queueing', 'processing', 'success', 'failed'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/**
 * Long side of the output per model_type (API.md, Outputs): the depth map's, and a relief's map's.
 * Also the most a depth map a client brings is used at (formats/depth-input.ts): a relief can show
 * no more of it than of ours.
 */
export const OUTPUT_LONG_SIDE = { base: 1024, pro: 2048 } as const;

/** Where the subject is: x0, y0, x1, y1 as shares (0..1) of the photo's width and height, top left origin. */
export type SubjectBox = readonly [number, number, number, number];

/** The create-task fields after validation and defaults, in the names the code uses. */
export interface TaskParams {
  modelType: 'pro' | 'base';
  rmbg: boolean;
  degreeRmbg: number;
  format: OutputFormat;
  responseFormat: 'url';
  callbackUrl?: string;
  heightRelief: number;
  width: number;
  shapeBase: 'square' | 'circle';
  thicknessBase: number;
  sculpmode: 'emboss' | 'engrave';
  /** rmbg only: the background removal keeps to this box (create-task's subject_box). */
  subjectBox?: SubjectBox;
  /** Reliefs: the bas-relief engine's strength 0..1, the texture smoothing (mm), the narrowest part kept (mm). Absent on tasks made before them: the relief's defaults. */
  reliefDetail?: number;
  reliefSmooth?: number;
  minFeature?: number;
  /**
   * Reliefs from a photo: detailed carves the photo's own detail (detailHeight mm of it) over the
   * depth's volume; smooth is the depth alone. Absent on tasks made before it: detailed.
   */
  reliefStyle?: 'detailed' | 'smooth';
  detailHeight?: number;
  /**
   * The input is a depth map the client brought (create-task's depth_map, formats 3-5 only), not a
   * photo: the worker skips the models and makes the relief from it. rmbg then says whether the
   * map's alpha is the footprint. Stored in params (JSON), so the task tables need no new column.
   */
  depthMap?: true;
  /**
   * lithophane (create-task's relief_mode, formats 3-5 only): the photo's lightness becomes the
   * plate's thickness, lithoMin (lightest) to lithoMax (darkest) mm, with a lithoFrame mm border at
   * lithoMax; no model runs, and rmbg, heightRelief, thicknessBase and sculpmode are ignored.
   * Absent (tasks made before it) or relief: the depth relief. The litho fields are set with lithophane only.
   */
  reliefMode?: 'relief' | 'lithophane';
  lithoMin?: number;
  lithoMax?: number;
  lithoFrame?: number;
}

/**
 * The defaults of the relief fields beyond Hitem3D: the create-task schema applies them, and the
 * relief code falls back to them for tasks stored before a field existed. Chosen on the relief
 * section of `npm run eval` (README "The bas-relief engine", "Lithophanes").
 */
export const RELIEF_DEFAULTS = { reliefStyle: 'detailed', detailHeight: 0.4, reliefDetail: 0.7, reliefSmooth: 0.5, minFeature: 0.8 } as const;
export const LITHOPHANE_DEFAULTS = { lithoMin: 0.8, lithoMax: 3, lithoFrame: 0 } as const;

/** What a relief result is made of: a slicer's first questions about a file. */
export interface MeshSummary {
  triangles: number;
  /** Separate closed parts; more than 1 when a cut-out left several pieces, each standing on the bed. */
  shells: number;
}

export interface Task {
  id: string;
  clientId: string;
  state: TaskState;
  params: TaskParams;
  inputKey: string;
  /** The user's own mask (create-task's mask file), a second input blob; it replaces the model's mask. */
  maskKey?: string;
  resultKey?: string;
  /** Registry name of the depth model that made the result (tasks finished before it was recorded have none). */
  depthModel?: string;
  /** A relief's mesh: how many triangles and separate parts (tasks finished before it was recorded have none). */
  mesh?: MeshSummary;
  /** How far the work is, 0..99 while processing (contract/progress.ts); 0 before it starts. */
  progress?: number;
  /** Why a failed task failed, in words a client can act on. */
  error?: string;
  /**
   * Credits taken from the client's balance when the task was accepted (0 for a client with an
   * unlimited balance); given back when it fails. Absent on tasks made before credits: 0.
   */
  credits?: number;
  createdAt: number;
  updatedAt: number;
  /** When the retention collector deleted the task's input and result. */
  expiredAt?: number;
}

export function isFinished(state: TaskState): boolean {
  return state === 'success' || state === 'failed';
}
