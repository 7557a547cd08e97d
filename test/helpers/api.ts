// A plain HTTP client for the depth API, as an existing Hitem3D client would speak it (fetch and
// FormData, nothing of the project's own), so the tests check the wire contract itself.
import { readFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { checkServerIdentity, type PeerCertificate } from 'node:tls';
import { inject } from 'vitest';

export interface Envelope<T = Record<string, unknown>> {
  code: number;
  data: T;
  msg: string;
}

export interface Answer<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: Envelope<T>;
}

async function answer<T>(response: Response): Promise<Answer<T>> {
  const text = await response.text();
  let body: Envelope<T>;
  try {
    body = JSON.parse(text) as Envelope<T>;
  } catch {
    throw new Error(`not JSON (HTTP ${response.status}): ${text.slice(0, 200)}`);
  }
  return { status: response.status, headers: response.headers, body };
}

export function basic(clientId: string, clientSecret: string): string {
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

export async function requestToken(baseUrl: string, authorization?: string, init: RequestInit = {}) {
  return answer<{ accessToken: string; tokenType: string; nonce: string }>(
    await fetch(`${baseUrl}/open-api/v1/auth/token`, {
      method: 'POST',
      ...init,
      headers: { ...(authorization ? { authorization } : {}), ...init.headers },
    }),
  );
}

export async function token(baseUrl: string, clientId: string, clientSecret: string): Promise<string> {
  const result = await requestToken(baseUrl, basic(clientId, clientSecret));
  if (result.body.code !== 200) throw new Error(`token refused: ${JSON.stringify(result.body)}`);
  return result.body.data.accessToken;
}

export interface ImageFile {
  bytes: Buffer | Uint8Array;
  name?: string;
  type?: string;
}

/** A create-task form: text fields as strings, zero or more image files, and zero or more mask files. */
export function form(fields: Record<string, string>, images: ImageFile[] = [], masks: ImageFile[] = []): FormData {
  const body = new FormData();
  for (const image of images) {
    body.append('image', new Blob([image.bytes], { type: image.type ?? 'application/octet-stream' }), image.name ?? 'photo.jpg');
  }
  for (const mask of masks) {
    body.append('mask', new Blob([mask.bytes], { type: mask.type ?? 'application/octet-stream' }), mask.name ?? 'mask.png');
  }
  for (const [name, value] of Object.entries(fields)) body.append(name, value);
  return body;
}

export async function createTask(baseUrl: string, accessToken: string | undefined, body: FormData | string) {
  return answer<{ task_id: string }>(
    await fetch(`${baseUrl}/open-api/v1/depth/create-task`, {
      method: 'POST',
      headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
      body,
    }),
  );
}

export interface TaskData {
  task_id: string;
  state: string;
  id?: string;
  url?: string;
  /** The depth model that made the result, on success. */
  depth_model?: string;
  /** How far the work is, 0..100 (beyond Hitem3D). */
  progress?: number;
}

export async function queryTask(baseUrl: string, accessToken: string | undefined, taskId?: string) {
  const query = taskId === undefined ? '' : `?task_id=${encodeURIComponent(taskId)}`;
  return answer<TaskData>(
    await fetch(`${baseUrl}/open-api/v1/depth/query-task${query}`, {
      headers: accessToken ? { authorization: `Bearer ${accessToken}` } : {},
    }),
  );
}

/** Polls query-task until the task succeeds or fails; returns the last answer and the states seen. */
export async function waitForTask(baseUrl: string, accessToken: string, taskId: string, timeoutMs = 120_000) {
  const seen: string[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const result = await queryTask(baseUrl, accessToken, taskId);
    const state = result.body.data.state;
    if (seen.at(-1) !== state) seen.push(state);
    if (state === 'success' || state === 'failed') return { ...result, seen };
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${state} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function download(url: string): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(url);
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** The whole round trip a user makes: create with an image, wait for success, download the file. */
export async function produce(baseUrl: string, accessToken: string, image: Buffer | Uint8Array, fields: Record<string, string>) {
  const created = await createTask(baseUrl, accessToken, form(fields, [{ bytes: image }]));
  if (created.body.code !== 200) throw new Error(`create-task refused: ${created.body.msg}`);
  const done = await waitForTask(baseUrl, accessToken, created.body.data.task_id);
  if (done.body.code !== 200) throw new Error(`task ${created.body.data.task_id} failed: ${done.body.msg}`);
  const file = await download(done.body.data.url!);
  if (file.status !== 200) throw new Error(`download answered HTTP ${file.status}`);
  return file;
}

/**
 * A GET with another Host header than the URL's (fetch will not send one; node:http does), over
 * HTTPS too: the certificate is still checked, against the address the URL names.
 */
export function getWithHost(url: string, host: string, headers: Record<string, string> = {}): Promise<string> {
  const target = new URL(url);
  const tls =
    target.protocol === 'https:'
      ? {
          ca: readFileSync(inject('tlsCert')),
          servername: 'localhost',
          checkServerIdentity: (_name: string, cert: PeerCertificate) => checkServerIdentity(target.hostname, cert),
        }
      : {};
  return new Promise((resolve, reject) => {
    const request = (target.protocol === 'https:' ? httpsGet : httpGet)(target, { headers: { ...headers, host }, ...tls }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk.toString()));
      response.on('end', () => resolve(text));
    });
    request.once('error', reject);
  });
}
