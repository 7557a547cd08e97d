import { randomBytes } from 'node:crypto';

/** What every task id here starts with (Hitem3D's other kinds of task have other prefixes). */
export const DEPTH_TASK_PREFIX = 'depth_';

/** Task ids look like Hitem3D's: depth_YYYYMMDD_<12 hex digits> (UTC date). */
export function newTaskId(now = new Date()): string {
  const date = now.toISOString().slice(0, 10).replaceAll('-', '');
  return `${DEPTH_TASK_PREFIX}${date}_${randomBytes(6).toString('hex')}`;
}

export const TASK_ID_PATTERN = /^depth_\d{8}_[0-9a-f]{12}$/;
