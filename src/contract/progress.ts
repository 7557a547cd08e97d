// A task's progress (query-task's `progress`, 0–100) from the real stages of its work. The worker
// reports each stage as it starts (and the depth model's passes as they end); where a stage sits in
// 0–100 depends on the kind of task, roughly by where the time goes on a CPU: a depth map is mostly
// the model, a relief also the mesh. A few writes per task, never one per pixel or per tile.
import type { TaskKind } from './task-kind.js';

export const TASK_STAGES = ['decode', 'depth', 'mask', 'refine', 'relief', 'encode'] as const;
export type TaskStage = (typeof TASK_STAGES)[number];

/** A stage started (`done` 0 or absent), or part of it is done (`done` 0..1: the depth model's passes). */
export interface StageReport {
  stage: TaskStage;
  done?: number;
}

/** What the worker calls as the stages go by. */
export type StageReporter = (report: StageReport) => void;

/** Progress once a worker has taken the task, before its first stage. */
export const PROGRESS_STARTED = 2;

/** Where each stage starts and ends in 0–100, by kind. A stage a task skips is passed over. */
const SPANS: Record<TaskKind, Record<TaskStage, readonly [number, number]>> = {
  depth_map: { decode: [5, 10], depth: [10, 65], mask: [65, 80], refine: [80, 88], relief: [88, 88], encode: [88, 99] },
  relief: { decode: [3, 6], depth: [6, 40], mask: [40, 50], refine: [50, 56], relief: [56, 88], encode: [88, 99] },
  // No model: the plate is made from the photo in one step, then encoded.
  lithophane: { decode: [3, 3], depth: [3, 3], mask: [3, 3], refine: [3, 3], relief: [3, 80], encode: [80, 99] },
};

/** The progress (a whole number 0..99; 100 is success) a report stands for. */
export function progressOf(kind: TaskKind, report: StageReport): number {
  const [from, to] = SPANS[kind][report.stage];
  const done = Math.min(1, Math.max(0, report.done ?? 0));
  return Math.floor(from + (to - from) * done);
}
