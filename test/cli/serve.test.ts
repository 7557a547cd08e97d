// What a new user meets first on the command line: the version, and a clear word when the port is taken.
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

it('says which port is taken and how to choose another', async () => {
  running = await startServer();
  const port = new URL(running.url).port;
  const second = await cliAsync(['serve', '--port', port], { DEPTHMILL_DATA: tempDir('second'), DEPTHMILL_LOG_LEVEL: 'warn' });
  expect(second.status).toBe(1);
  expect(second.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
  expect(second.stderr).toMatch(/choose another port with --port or PORT \(0 picks a free one\)/);
});
