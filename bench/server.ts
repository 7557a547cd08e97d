// The real server as the benchmarks start it (`node bin/depthmill.js serve`, the built dist/), and a
// signed-in client for it: what api-load.ts, throughput.ts and end-to-end.ts have in common.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..');
export const BIN = join(REPO, 'bin/depthmill.js');

/** Stops the calling bench script with a plain message when the built `file` (under REPO) is missing. */
export function requireBuild(script: string, file = 'dist/server.js'): void {
  if (existsSync(join(REPO, file))) return;
  process.stderr.write(`${script}: ${file} is missing, run \`npm run build\` first\n`);
  process.exit(1);
}

export interface BenchServer {
  child: ChildProcess;
  /** http://host:port; empty for a worker (it has no HTTP side). */
  url: string;
  stop(): void;
}

/** Starts `depthmill serve --role <role>` on a free port and resolves once it is ready. */
export function startServer(env: Record<string, string>, role: 'all' | 'api' | 'worker' = 'all'): Promise<BenchServer> {
  const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--role', role], {
    env: { ...process.env, DEPTHMILL_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((ready, fail) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (\S+)|worker ready/.exec(output);
      if (match) ready({ child, url: match[1] ?? '', stop: () => child.kill('SIGTERM') });
    });
    child.once('exit', (code) => fail(new Error(`${role} exited with ${code}`)));
  });
}

/** A new client (the `clients create` command, same env) and a Bearer token for it. */
export async function signIn(url: string, env: Record<string, string>, name: string): Promise<string> {
  const created = spawnSync(process.execPath, [BIN, 'clients', 'create', name, '--json'], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  const client = JSON.parse(created.stdout) as { client_id: string; client_secret: string };
  const basic = Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64');
  const answer = await fetch(`${url}/open-api/v1/auth/token`, { method: 'POST', headers: { authorization: `Basic ${basic}` } });
  return ((await answer.json()) as { data: { accessToken: string } }).data.accessToken;
}
