// Fetches an image_url for create-task: bounded in size (checked while streaming, so a huge or
// endless body is cut off early) and in time. Failures become a 4002xxxx error naming image_url.
import type { OutboundFetch } from '../tasks/ports.js';
import { ApiError, Errors } from '../contract/errors.js';

/** Said with every refused URL: how an operator lets the server reach a host it trusts. */
export const ALLOWLIST_HINT = ' (the server operator can allow a trusted internal host with DEPTHMILL_FETCH_ALLOWLIST)';

export interface FetchImageOptions {
  maxBytes: number;
  timeoutMs: number;
  /** The SSRF-guarded fetch (adapters/safe-fetch.ts). */
  fetch: OutboundFetch;
}

export async function fetchImage(url: string, { maxBytes, timeoutMs, fetch }: FetchImageOptions): Promise<Buffer> {
  const signal = AbortSignal.timeout(timeoutMs);
  let response: Response;
  try {
    response = await fetch(url, { signal, headers: { accept: 'image/png, image/jpeg, image/webp' } });
  } catch (error) {
    if (refused(error))
      throw new ApiError(Errors.imageUrlUnreachable, `invalid parameter: image_url is not allowed: ${causeOf(error)}${ALLOWLIST_HINT}`);
    throw unreachable(url, signal.aborted ? `no answer within ${timeoutMs / 1000} s` : causeOf(error));
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw unreachable(url, `the server answered HTTP ${response.status}`);
  }
  const declared = Number(response.headers.get('content-length') ?? NaN);
  if (declared > maxBytes) {
    await response.body?.cancel();
    throw tooLarge(maxBytes);
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = response.body?.getReader();
  try {
    for (;;) {
      const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        await reader?.cancel(); // stop downloading at once
        throw tooLarge(maxBytes);
      }
      chunks.push(value);
    }
  } catch (error) {
    if (error instanceof ApiError) throw error;
    throw unreachable(url, signal.aborted ? `no complete answer within ${timeoutMs / 1000} s` : causeOf(error));
  }
  return Buffer.concat(chunks, size);
}

/** The SSRF guard's refusal, directly or as the cause of fetch's "fetch failed". */
function refused(error: unknown): boolean {
  for (let cause = error; cause instanceof Error; cause = cause.cause) if (cause.name === 'FetchRefused') return true;
  return false;
}

function causeOf(error: unknown): string {
  // fetch wraps connection errors (a refused address among them) as "fetch failed" with a cause.
  let cause = error;
  while (cause instanceof Error && cause.cause instanceof Error) cause = cause.cause;
  return cause instanceof Error ? cause.message : String(cause);
}

function unreachable(url: string, reason: string): ApiError {
  return new ApiError(Errors.imageUrlUnreachable, `invalid parameter: image_url could not be fetched (${reason}): ${url.slice(0, 200)}`);
}

export function tooLarge(maxBytes: number, field: 'image' | 'mask' | 'depth_map' = 'image'): ApiError {
  return new ApiError(Errors.imageTooLarge, `invalid parameter: ${field} is larger than ${Math.round(maxBytes / (1024 * 1024))} MB`);
}
