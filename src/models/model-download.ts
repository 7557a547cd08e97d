// Downloads a registered model by URL: streamed to a .partial file, resumed with an HTTP Range
// request when a previous try was cut off, checked against its sha256 before it is moved into place.
// Nothing here runs at request time: only `depthmill models pull` and the install step call it.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, rename, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Agent, fetch } from 'undici';
import { modelEntry, PINS_FILE, readPins } from './model-cache.js';

export interface DownloadProgress {
  /** Bytes of the file on disk so far, including those resumed from an earlier try. */
  received: number;
  /** Size of the whole file, when the server says. */
  total?: number;
  /** Bytes that were already there from an earlier try. */
  resumedFrom: number;
}

export interface DownloadOptions {
  dir: string;
  /** Where to fetch from instead of the registry's URL (a mirror); the checksum still applies. */
  url?: string;
  /** The checksum to insist on, for a model the registry cannot pin; it is then remembered. */
  sha256?: string;
  onProgress?: (progress: DownloadProgress) => void;
  signal?: AbortSignal;
  /** How long connecting to the host may take; default 5 s (an unreachable host fails fast). */
  connectTimeoutMs?: number;
  /** How long the answer may go without a byte (headers, then between chunks); default 30 s. */
  stallTimeoutMs?: number;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_STALL_TIMEOUT_MS = 30_000;

/** A network failure in words: undici's "fetch failed" hides its reason in `cause`. */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  if (cause?.code && cause.message) return cause.message.includes(cause.code) ? cause.message : `${cause.code}: ${cause.message}`;
  return cause?.message ?? (error instanceof Error ? error.message : String(error));
}

export interface DownloadResult {
  path: string;
  sha256: string;
  bytes: number;
  resumedFrom: number;
}

export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(path), hash);
  return hash.digest('hex');
}

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}

function expectedFor(name: string, options: DownloadOptions): string {
  const entry = modelEntry(name);
  const given = options.sha256?.toLowerCase();
  if (given !== undefined && !/^[0-9a-f]{64}$/.test(given)) throw new Error(`--sha256 must be 64 hex digits, got "${options.sha256}"`);
  if (entry.sha256 && given && given !== entry.sha256) {
    throw new Error(`model "${name}" is pinned to sha256 ${entry.sha256} by the registry; refusing ${given}`);
  }
  const expected = entry.sha256 ?? given ?? readPins(options.dir)[name];
  if (!expected) {
    throw new Error(
      `model "${name}" has no published checksum in the registry: give the one from the model's page with --sha256 <hex>, ` +
        'so what is downloaded can be verified',
    );
  }
  return expected;
}

export async function downloadModel(name: string, options: DownloadOptions): Promise<DownloadResult> {
  const entry = modelEntry(name);
  const url = options.url ?? entry.source.url;
  const localPath = entry.source.npm ? undefined : entry.source.path;
  if (!url && !localPath) throw new Error(`model "${name}" has no URL to download from (its source: ${JSON.stringify(entry.source)})`);
  const expected = expectedFor(name, options);
  await mkdir(options.dir, { recursive: true });
  const target = join(options.dir, entry.file);
  const partial = `${target}.partial`;

  if (!url) {
    // A model the operator has on disk already: copied in, then checked like a download.
    await copyFile(localPath!, partial);
    return finish(name, partial, target, expected, options.dir, 0, localPath!);
  }

  let resumedFrom = await sizeOf(partial);
  // undici's connect and body timeouts: a host that cannot be reached, or an answer that stalls,
  // fails in seconds instead of hanging (the install step must never hold up `npm ci`).
  const stallMs = options.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  const dispatcher = new Agent({
    connect: { timeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS },
    headersTimeout: stallMs,
    bodyTimeout: stallMs,
  });
  let received = resumedFrom;
  try {
    const response = await fetch(url, {
      headers: resumedFrom > 0 ? { range: `bytes=${resumedFrom}-` } : {},
      redirect: 'follow',
      dispatcher,
      ...(options.signal ? { signal: options.signal } : {}),
    }).catch((error: unknown) => {
      throw new Error(`download of "${name}" failed: could not reach ${new URL(url).host} (${networkReason(error)})`);
    });
    if (response.status === 416 && resumedFrom > 0) {
      // The earlier try got the whole file but stopped before the check: check it now.
      await response.body?.cancel();
    } else {
      if (!response.ok || !response.body) {
        await response.body?.cancel();
        throw new Error(`download of "${name}" failed: HTTP ${response.status} from ${url}`);
      }
      if (response.status !== 206) resumedFrom = 0; // the server ignored the range: start again
      received = resumedFrom;
      const length = Number(response.headers.get('content-length') ?? NaN);
      const total = Number.isFinite(length) ? resumedFrom + length : undefined;
      const report = () => options.onProgress?.({ received, resumedFrom, ...(total === undefined ? {} : { total }) });
      report();
      // Each chunk is written before the next is read, so when the connection drops, every byte
      // received is on disk and the next try resumes from there.
      const file = await open(partial, resumedFrom > 0 ? 'a' : 'w');
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          await file.write(chunk);
          received += chunk.byteLength;
          report();
        }
      } catch (error) {
        throw new Error(`download of "${name}" stopped after ${received} bytes (${networkReason(error)}); run it again to resume`);
      } finally {
        await file.close();
      }
    }
  } finally {
    await dispatcher.close();
  }

  return finish(name, partial, target, expected, options.dir, resumedFrom, url);
}

/** The file came, but it is not the one pinned: a re-upload at the source, a proxy's page, a mirror's other file. */
export class ChecksumMismatchError extends Error {
  constructor(
    readonly model: string,
    readonly expected: string,
    readonly actual: string,
    /** Where the file came from (a URL or a path). */
    readonly from: string,
  ) {
    super(`download of "${model}" failed its checksum: expected sha256 ${expected}, got ${actual}; nothing was installed`);
    this.name = 'ChecksumMismatchError';
  }
}

async function finish(
  name: string,
  partial: string,
  target: string,
  expected: string,
  dir: string,
  resumedFrom: number,
  from: string,
): Promise<DownloadResult> {
  const actual = await sha256File(partial);
  if (actual !== expected) {
    // A wrong file is not worth resuming from: start clean next time.
    await rm(partial, { force: true });
    throw new ChecksumMismatchError(name, expected, actual, from);
  }
  await rename(partial, target);
  if (!modelEntry(name).sha256)
    await writeFile(join(dir, PINS_FILE), JSON.stringify({ ...readPins(dir), [name]: expected }, null, 2) + '\n');
  return { path: target, sha256: actual, bytes: await sizeOf(target), resumedFrom };
}
