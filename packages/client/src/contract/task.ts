// What a task is on the wire: its states and the create-task fields after validation and defaults.
// The server's stored task (src/contract/task.ts) adds what only it keeps.
import type { ParamRow, ParamValue } from './fields.js';

export { OUTPUT_FORMATS, type FormatCode, type OutputFormat } from './formats.js';
export { FIELD_DEFAULTS, type SubjectBox } from './fields.js';

/** In this order (API.md). */
export const TASK_STATES = ['created', 'queueing', 'processing', 'success', 'failed'] as const;
export type TaskState = (typeof TASK_STATES)[number];

/**
 * Fields Hitem3D has, with a default or required: every stored task has them. The rest came later
 * (beyond Hitem3D), or have no default: absent on some tasks, and the code falls back to
 * FIELD_DEFAULTS where it needs a value.
 */
type AlwaysStored = Extract<ParamRow, { hitem3d: true } & ({ default: unknown } | { required: true })>;
type AlwaysStoredParams = { [R in AlwaysStored as R['param']]: ParamValue<R> };
type SometimesStoredParams = { [R in Exclude<ParamRow, AlwaysStored> as R['param']]?: ParamValue<R> };

/** The create-task fields after validation and defaults, in the names the code uses (contract/fields.ts). */
export interface TaskParams extends AlwaysStoredParams, SometimesStoredParams {
  /**
   * The input is a depth map the client brought (create-task's depth_map file, formats 3-5 only),
   * not a photo: the worker skips the models and makes the relief from it. Stored in params (JSON),
   * so the task tables need no new column.
   */
  depthMap?: true;
}
