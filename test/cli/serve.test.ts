// What a new user meets first on the command line: the version and the help, at once, and a clear
// word when the port is taken.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { cliAsync, REPO, startServer, tempDir, type TestServer } from '../helpers/server.js';

let running: TestServer | undefined;
afterAll(async () => {
  await running?.stop();
});

it('prints its version with --version and -V', async () => {
  const { version } = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  for (const flag of ['--version', '-V']) {
    const result = await cliAsync([flag]);
    expect(result.status).toBe(0);
    expect(result.stdout.trim()).toBe(version);
  }
});

// The packages only a command's work needs: native add-ons, the model runtime, the server, the stores.
const HEAVY = /node_modules\/(sharp|@img|onnxruntime-node|better-sqlite3|pg|bullmq|ioredis|fastify|@aws-sdk)\//;

it.skipIf(spawnSync('strace', ['-V']).status !== 0)(
  'answers --version and --help without loading the models, sharp, the server or a store',
  () => {
    for (const args of [['--version'], ['--help'], ['generate', '--help'], ['serve', '--help']]) {
      const trace = join(tempDir('cli-start'), 'open.strace');
      const run = spawnSync(
        'strace',
        ['-f', '-qq', '-e', 'trace=openat', '-o', trace, process.execPath, join(REPO, 'bin/depthmill.js'), ...args],
        { encoding: 'utf8' },
      );
      expect(run.status, args.join(' ')).toBe(0);
      expect(run.stdout.length, args.join(' ')).toBeGreaterThan(4);
      const opened = readFileSync(trace, 'utf8')
        .split('\n')
        .filter((line) => !line.includes('ENOENT'));
      expect(opened.length, 'strace saw the files opened').toBeGreaterThan(5);
      expect(
        opened.filter((line) => HEAVY.test(line)),
        args.join(' '),
      ).toEqual([]);
    }
  },
);

it('says which port is taken and how to choose another', async () => {
  running = await startServer();
  const port = new URL(running.url).port;
  const second = await cliAsync(['serve', '--port', port], { DEPTHMILL_DATA: tempDir('second'), DEPTHMILL_LOG_LEVEL: 'warn' });
  expect(second.status).toBe(1);
  expect(second.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
  expect(second.stderr).toMatch(/choose another port with --port or PORT \(0 picks a free one\)/);
});
