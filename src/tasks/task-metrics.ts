// What the task code counts when a task ends or gives its credits back, in one place: a run, the
// housekeeping pass and the API's overdue check all end tasks, and each counts the same way.
import { taskKind } from '../contract/task-kind.js';
import type { Task } from '../contract/task.js';
import { noMetrics, type Metrics } from './ports.js';

/** Credits a failed or removed task gave back (the store refunds them with the failure). */
export function countRefund(metrics: Metrics | undefined, task: Pick<Task, 'params' | 'credits'>): void {
  if (task.credits) (metrics ?? noMetrics).creditsRefunded(taskKind(task.params), task.credits);
}

/** A task this process ended (only the call whose finish() returned true counts it). */
export function countEnded(metrics: Metrics | undefined, task: Pick<Task, 'params' | 'credits'>, state: 'success' | 'failed'): void {
  (metrics ?? noMetrics).taskFinished(taskKind(task.params), state);
  if (state === 'failed') countRefund(metrics, task);
}
