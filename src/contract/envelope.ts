// The envelope every JSON answer is (API.md): {code, data, msg}; code 200 is success. Built here
// only: the routes, the error handler, query-task and callbacks, and read by the SDK.
import type { ErrorEntry } from './errors.js';

export interface Envelope<Data extends Record<string, unknown> = Record<string, unknown>> {
  code: number;
  data: Data;
  msg: string;
}

export const SUCCESS_CODE = 200;

export function successEnvelope<Data extends Record<string, unknown>>(data: Data): Envelope<Data> {
  return { code: SUCCESS_CODE, data, msg: 'success' };
}

/** An error's envelope: its catalog code, a message (the entry's, or a more precise one), and data ({} unless a task's fields). */
export function errorEnvelope(entry: ErrorEntry, msg: string = entry.message, data: Record<string, unknown> = {}): Envelope {
  return { code: entry.code, data, msg };
}
