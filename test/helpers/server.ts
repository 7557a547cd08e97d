// Starts the real, built server (`depthmill serve`, what `npm start` runs) as a child process on a
// free port with its own data directory, the way a user runs it.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, inject } from 'vitest';
import { DepthmillClient } from '@depthmill/client';
import { modelCacheDir, models } from '../../src/models/model-cache.js';
import { token } from './api.js';

export const REPO = resolve(import.meta.dirname, '../..');
export const BIN = join(REPO, 'bin/depthmill.js');

export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `depthmill-${prefix}-`));
}

/** Which adapters the suite runs against: the embedded defaults, or PostgreSQL + Redis + S3. */
export const DISTRIBUTED = process.env.DEPTHMILL_TEST_BACKEND === 'distributed';

/** Whether the test servers speak HTTPS with the run's certificate (the `https` project: test/https/setup.ts). */
export const TLS = process.env.DEPTHMILL_TEST_TLS === '1';

/** What makes a served process speak HTTPS with the run's certificate; nothing outside the https project. */
function serverTlsEnv(): Record<string, string> {
  return TLS ? { DEPTHMILL_TLS_CERT: inject('tlsCert'), DEPTHMILL_TLS_KEY: inject('tlsKey') } : {};
}

/** What makes a Node client process (the CLI, the SDK) trust the run's certificate, checks on. */
function clientTlsEnv(): Record<string, string> {
  return TLS ? { NODE_EXTRA_CA_CERTS: inject('tlsCert') } : {};
}

/**
 * The environment that points a process at this data directory's backend. Embedded: the data
 * directory itself. Distributed: a PostgreSQL schema, a Redis key prefix and an S3 prefix named
 * after it, so a restart on the same directory finds the same state and test servers never share.
 */
export function backendEnv(dataDir: string): Record<string, string> {
  if (!DISTRIBUTED) return { DEPTHMILL_DATA: dataDir };
  const id = `t_${createHash('sha256').update(dataDir).digest('hex').slice(0, 16)}`;
  return {
    DEPTHMILL_DATA: dataDir,
    DEPTHMILL_DB: `postgres://postgres@127.0.0.1:5432/test?schema=${id}`,
    DEPTHMILL_QUEUE: `redis://127.0.0.1:6379/0?prefix=${id}`,
    DEPTHMILL_BLOBS: `s3://depthmill-test/${id}`,
    DEPTHMILL_S3_ENDPOINT: inject('s3Endpoint'),
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
  };
}

/**
 * Runs the command line synchronously with this data directory (and these variables over its
 * backend's, e.g. a test's own database); returns its output and status.
 */
export function cli(dataDir: string, args: string[], env: Record<string, string> = {}) {
  const result = spawnSync(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...clientTlsEnv(), ...backendEnv(dataDir), ...env },
    encoding: 'utf8',
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/**
 * The same, without blocking this process: needed when the command talks to an HTTP server that
 * lives in the test process itself (spawnSync would freeze that server and deadlock).
 */
export function cliAsync(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return nodeAsync([BIN, ...args], env);
}

/** Runs a Node script (the CLI, an install script) with these extra variables, without blocking. */
export function nodeAsync(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { env: { ...process.env, ...clientTlsEnv(), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** Copies the bundled default models from where the install step put them into a test's model folder. */
export function copyBundledModels(dir: string): void {
  for (const entry of Object.values(models)) {
    if (entry.default) copyFileSync(join(modelCacheDir(), entry.file), join(dir, entry.file));
  }
}

export interface Credentials {
  clientId: string;
  clientSecret: string;
}

export function createClientCredentials(dataDir: string, name = 'test', env: Record<string, string> = {}): Credentials {
  const result = cli(dataDir, ['clients', 'create', name, '--json'], env);
  if (result.status !== 0) throw new Error(`clients create failed: ${result.stderr}`);
  const parsed = JSON.parse(result.stdout) as { client_id: string; client_secret: string };
  return { clientId: parsed.client_id, clientSecret: parsed.client_secret };
}

export interface TestServer {
  url: string;
  dataDir: string;
  process: ChildProcess;
  output: () => string;
  /** Stops the process with this signal and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

export async function startServer(
  options: { dataDir?: string; env?: Record<string, string>; role?: 'all' | 'api' | 'worker' } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? tempDir('data');
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--role', options.role ?? 'all'], {
    // The tests' own HTTP servers (images, callback receivers) live on loopback, which the SSRF
    // guard refuses unless allowlisted; the SSRF suite starts its servers without this.
    env: {
      ...process.env,
      ...backendEnv(dataDir),
      ...serverTlsEnv(),
      DEPTHMILL_LOG_LEVEL: 'warn',
      DEPTHMILL_FETCH_ALLOWLIST: '127.0.0.1',
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start within 30 s:\n${output}`)), 30_000);
    const onData = () => {
      const match = /depthmill listening on (https?:\/\/\S+)|depthmill worker ready/.exec(output);
      if (match) {
        clearTimeout(timer);
        child.stdout.off('data', onData);
        resolve(match[1] ?? '');
      }
    };
    child.stdout.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${output}`));
    });
  });

  // The https project must never pass by talking plain HTTP to a server that ignored the certificate.
  if (TLS && url && !url.startsWith('https://')) throw new Error(`DEPTHMILL_TEST_TLS is set but the server listens on ${url}`);

  return {
    url,
    dataDir,
    process: child,
    output: () => output,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

/** A new client on this server, and a token for it: what most tests do first. */
export async function signIn(server: TestServer, name = 'test'): Promise<Credentials & { accessToken: string }> {
  const credentials = createClientCredentials(server.dataDir, name);
  return { ...credentials, accessToken: await token(server.url, credentials.clientId, credentials.clientSecret) };
}

/**
 * What the server printed as `depthmill web UI: <url>` (printed just after "listening on"): on
 * loopback the sign-in link `…/#signin=<secret>`, elsewhere the bare page.
 */
export async function printedWebUi(server: TestServer, timeoutMs = 10_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = /depthmill web UI: (\S+)/.exec(server.output())?.[1];
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`no "depthmill web UI:" line within ${timeoutMs} ms:\n${server.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * A server for the file's tests, signed in, with an SDK client on the same credentials: started
 * before the file's tests and stopped after them. Read its fields inside the tests (they are set
 * by the hook).
 */
export function signedInServer(): { readonly server: TestServer; readonly accessToken: string; readonly sdk: DepthmillClient } {
  const state = {} as { server: TestServer; accessToken: string; sdk: DepthmillClient };
  beforeAll(async () => {
    state.server = await startServer();
    const credentials = await signIn(state.server);
    state.accessToken = credentials.accessToken;
    state.sdk = new DepthmillClient({ baseUrl: state.server.url, clientId: credentials.clientId, clientSecret: credentials.clientSecret });
  });
  afterAll(async () => {
    await state.server?.stop();
  });
  return state;
}
