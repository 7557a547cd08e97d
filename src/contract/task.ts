// What a task is: its states, parameters and outcome, independent of storage and transport.
// The wire part (states, TaskParams, formats) is the SDK's: @depthmill/client/contract.
import type { TaskParams, TaskState } from '@depthmill/client/contract';

export {
  FIELD_DEFAULTS,
  OUTPUT_FORMATS,
  TASK_STATES,
  type FormatCode,
  type OutputFormat,
  type SubjectBox,
  type TaskParams,
  type TaskState,
} from '@depthmill/client/contract';

/**
 * Long side of the output per model_type (API.md, Outputs): the depth map's, and a relief's map's.
 * Also the most a depth map a client brings is used at (formats/depth-input.ts): a relief can show
 * no more of it than of ours.
 */
export const OUTPUT_LONG_SIDE = { base: 1024, pro: 2048 } as const;

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
