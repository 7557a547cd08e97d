// The data directory on a small file system that fills up while a task runs: the task still ends
// (failed, recorded thanks to the database's reserve), create-task refuses new work with 507, and
// no half-written file is left. Needs a tmpfs mount (root, as in CI); skipped elsewhere, saying so.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, statfsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, form, waitForTask } from '../helpers/api.js';
import { DISTRIBUTED, signIn, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

const mountPoint = tempDir('full-disk');
const canMount =
  !DISTRIBUTED &&
  process.getuid?.() === 0 &&
  (() => {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64m', 'tmpfs', mountPoint]);
      return true;
    } catch {
      return false;
    }
  })();
if (!canMount && !DISTRIBUTED) console.warn('full-disk test skipped: needs root to mount a tmpfs');

let server: TestServer | undefined;
const dataDir = join(mountPoint, 'data');

beforeAll(async () => {
  if (!canMount) return;
  mkdirSync(dataDir);
  server = await startServer({ dataDir, env: { DEPTHMILL_CONCURRENCY: '1', DEPTHMILL_LOG_LEVEL: 'info' } });
});

afterAll(async () => {
  await server?.stop();
  if (canMount) execFileSync('umount', [mountPoint]);
});

describe.skipIf(!canMount)('a full disk', () => {
  it('ends the running task as failed, refuses new tasks with 507, and leaves no partial file', { timeout: 120_000 }, async () => {
    const { accessToken } = await signIn(server!);
    const photo = readPhoto('skimage_coffee.png');
    // Several seconds of work, during which the disk fills up.
    const running = await createTask(server!.url, accessToken, form({ format: '2', model_type: 'pro', rmbg: '1' }, [{ bytes: photo }]));
    expect(running.body.code).toBe(200);
    const { bavail, bsize } = statfsSync(mountPoint);
    writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(bavail * bsize - 64 * 1024));

    const refused = await createTask(server!.url, accessToken, form({ format: '2', model_type: 'base' }, [{ bytes: photo }]));
    expect(refused.status).toBe(507);
    expect(refused.body).toEqual({ code: 507, data: {}, msg: 'the server is out of storage space: try again later' });

    const ended = await waitForTask(server!.url, accessToken, running.body.data.task_id, 90_000);
    expect(ended.body.code).toBe(5001001);
    expect(ended.body.data.state).toBe('failed');
    expect(ended.body.msg).not.toMatch(/ENOSPC|\/tmp\//);
    expect(server!.output()).toMatch(/storage unavailable while writing the result/);

    const files = readdirSync(join(dataDir, 'blobs'), { recursive: true }).map(String);
    expect(files.filter((file) => file.includes('.partial'))).toEqual([]);
  });
});
