// `depthmill/client`: the typed SDK of the depth API, plus callback verification for webhook
// receivers (Node). The client itself (client.ts) needs only fetch, so browsers use it too.
import { SIGNATURE_HEADER, verifyCallback as verifySignature } from '../contract/callback-signature.js';

export {
  DepthmillClient,
  DepthmillError,
  INSUFFICIENT_BALANCE,
  TASK_FAILED,
  TASK_NOT_FOUND,
  type Balance,
  taskFields,
  type ClientOptions,
  type CreateTaskInput,
  type DepthModels,
  type FinishedTask,
  type ImageSource,
  type MaskSource,
  type OutputFormat,
  type RequestOptions,
  type SubjectBox,
  type TaskFieldValues,
  type TaskOptions,
  type TaskSettings,
  type TaskState,
  type TaskStatus,
  type WaitOptions,
} from './client.js';

export { backlit3mf, backlitImage, readModelParts, thicknessMap, type ModelPart, type RgbaImage } from './backlight.js';
export { FILAMENTS, type Filament, type FilamentName } from '../contract/filaments.js';

export { SIGNATURE_HEADER, SIGNATURE_TOLERANCE_SECONDS } from '../contract/callback-signature.js';

import { DepthmillClient, type ClientOptions } from './client.js';

/** Same as `new DepthmillClient(options)`. */
export function createClient(options: ClientOptions): DepthmillClient {
  return new DepthmillClient(options);
}

/** Request headers as Node (IncomingHttpHeaders), fetch (Headers) or a framework gives them. */
export type CallbackHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * True when a callback is genuine: `Depthmill-Signature` signs this exact raw body with the key
 * derived from your client secret, less than 5 minutes ago (README "Callbacks"). Pass the body as
 * received (before any JSON parsing), and the request's headers or the header's value.
 */
export function verifyCallback(
  body: string | Uint8Array,
  headers: CallbackHeaders | string | undefined,
  clientSecret: string,
  now = Date.now(),
): boolean {
  const raw = typeof body === 'string' ? body : new TextDecoder().decode(body);
  return verifySignature(raw, signatureOf(headers), clientSecret, now);
}

function signatureOf(headers: CallbackHeaders | string | undefined): string | undefined {
  if (headers === undefined || typeof headers === 'string') return headers;
  if (headers instanceof Headers) return headers.get(SIGNATURE_HEADER) ?? undefined;
  const entry = Object.entries(headers).find(([name]) => name.toLowerCase() === SIGNATURE_HEADER)?.[1];
  return Array.isArray(entry) ? entry[0] : entry;
}
