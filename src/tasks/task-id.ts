import { randomBytes } from 'node:crypto';

/** Task ids look like Hitem3D's: depth_YYYYMMDD_<12 hex digits> (UTC date). */
export function newTaskId(now = new Date()): string {
  const date = now.toISOString().slice(0, 10).replaceAll('-', '');
  return `depth_${date}_${randomBytes(6).toString('hex')}`;
}

export const TASK_ID_PATTERN = /^depth_\d{8}_[0-9a-f]{12}$/;
