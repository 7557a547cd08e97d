// A PostgreSQL cluster and a Redis server of a test's own, on free loopback ports in a temporary
// directory: the outage tests stop them hard and start them again, which they must never do to the
// machine's shared instances (other tests use those at the same time).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { tempDir } from './server.js';

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
    probe.once('error', fail);
  });
}

/** The newest installed PostgreSQL's programs (Debian keeps them out of PATH). */
function postgresBin(name: string): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a));
  if (versions.length === 0) throw new Error('no PostgreSQL under /usr/lib/postgresql');
  return join('/usr/lib/postgresql', versions[0]!, 'bin', name);
}

/** Runs a PostgreSQL program; as root it runs as the postgres user (initdb and postgres refuse root). */
function pg(name: string, args: string[]): void {
  const [command, argv] =
    process.getuid?.() === 0 ? ['runuser', ['-u', 'postgres', '--', postgresBin(name), ...args]] : [postgresBin(name), args];
  const result = spawnSync(command, argv, { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`${name} ${args.join(' ')} failed (${result.status}): ${result.stdout}${result.stderr}`);
}

export interface PrivatePostgres {
  /** A DEPTHMILL_DB URL for this schema (trust authentication, database postgres). */
  url(schema: string): string;
  /** `pg_ctl -m immediate stop`: every connection dropped at once, as in a crash. */
  stopImmediately(): void;
  start(): void;
  /** Stops it and deletes its files. */
  remove(): void;
}

export async function privatePostgres(): Promise<PrivatePostgres> {
  const directory = tempDir('private-pg');
  // The postgres user must reach its data directory and socket inside the temporary directory.
  chmodSync(directory, 0o777);
  const data = join(directory, 'data');
  const port = await freePort();
  pg('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync']);
  const options = `-p ${port} -k ${directory} -c listen_addresses=127.0.0.1 -c fsync=off`;
  const start = () => pg('pg_ctl', ['-D', data, '-o', options, '-l', join(directory, 'log'), '-w', 'start']);
  start();
  return {
    url: (schema) => `postgres://postgres@127.0.0.1:${port}/postgres?schema=${schema}`,
    stopImmediately: () => pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']),
    start,
    remove() {
      try {
        pg('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']);
      } catch {
        // already stopped
      }
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

export interface PrivateRedis {
  port: number;
  /** SIGKILL: without persistence every key is gone when it comes back. */
  kill(): Promise<void>;
  start(): Promise<void>;
  remove(): Promise<void>;
}

/** redis-server on a free port with persistence off (`--save '' --appendonly no`). */
export async function privateRedis(): Promise<PrivateRedis> {
  const directory = tempDir('private-redis');
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = () =>
    new Promise<void>((done, fail) => {
      const server = spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', directory],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      child = server;
      let output = '';
      const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${output}`)), 20_000);
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/Ready to accept connections/.test(output)) {
          clearTimeout(timer);
          done();
        }
      };
      server.stdout!.on('data', onData);
      server.stderr!.on('data', onData);
      server.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`redis-server exited with ${code}: ${output}`));
      });
    });
  const kill = async () => {
    const server = child;
    if (!server || server.exitCode !== null || server.signalCode !== null) return;
    const exited = new Promise((done) => server.once('exit', done));
    server.kill('SIGKILL');
    await exited;
  };
  await start();
  return {
    port,
    kill,
    start,
    async remove() {
      await kill();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
