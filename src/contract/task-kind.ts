// What a task makes, as metrics (and credits) name it: a depth map, a relief mesh, or a
// lithophane (a mesh whose thickness is the photo's lightness; no depth model runs). Derived from
// the task's parameters alone, so a store can group its rows by it without new columns.
import { isMeshFormat } from '@depthmill/client/contract';
import type { TaskParams } from './task.js';

export const TASK_KINDS = ['depth_map', 'relief', 'lithophane'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];

export function taskKind(params: Pick<TaskParams, 'format' | 'reliefMode'>): TaskKind {
  if (!isMeshFormat(params.format)) return 'depth_map';
  return params.reliefMode === 'lithophane' ? 'lithophane' : 'relief';
}
