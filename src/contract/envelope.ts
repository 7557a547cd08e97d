// The envelope every JSON answer is (API.md): {code, data, msg}; code 200 is success. Its shape
// is the SDK's (@depthmill/client/contract); the error envelope, built from the catalog, is the
// server's alone: the routes, the error handler, query-task and callbacks build it here.
import { type Envelope } from '@depthmill/client/contract';
import type { ErrorEntry } from './errors.js';

export { SUCCESS_CODE, successEnvelope, type Envelope } from '@depthmill/client/contract';

/** An error's envelope: its catalog code, a message (the entry's, or a more precise one), and data ({} unless a task's fields). */
export function errorEnvelope(entry: ErrorEntry, msg: string = entry.message, data: Record<string, unknown> = {}): Envelope {
  return { code: entry.code, data, msg };
}
