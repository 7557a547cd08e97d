// The rows of a store's count of tasks grouped by state and by the parameters that decide the
// kind (format, relief mode), as TaskCounts: the kind is decided by contract's taskKind, once, not
// restated in each SQL dialect.
import { taskKind } from '../contract/task-kind.js';
import type { OutputFormat, TaskState } from '../contract/task.js';
import type { TaskCount } from '../tasks/ports.js';

export interface TaskCountRow {
  state: TaskState;
  format: string | null;
  relief_mode: string | null;
  /** PostgreSQL's count(*) is a BIGINT, handed back as a string. */
  n: number | string;
}

export function toTaskCounts(rows: TaskCountRow[]): TaskCount[] {
  const counts = new Map<string, TaskCount>();
  for (const row of rows) {
    const kind = taskKind({
      format: (row.format ?? '') as OutputFormat,
      reliefMode: row.relief_mode === 'lithophane' ? 'lithophane' : 'relief',
    });
    const key = `${row.state} ${kind}`;
    const count = counts.get(key) ?? { state: row.state, kind, count: 0 };
    count.count += Number(row.n);
    counts.set(key, count);
  }
  return [...counts.values()];
}
