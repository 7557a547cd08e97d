// Work accepted keeps room for its result: on a small data disk, create-task answers 507 once the
// results of the tasks already accepted would not fit, instead of accepting them all and failing
// some later with "no space left". Needs a tmpfs mount (root, as in CI); skipped elsewhere, saying so.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, form, waitForTask } from '../helpers/api.js';
import { DISTRIBUTED, signIn, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

const mountPoint = tempDir('small-disk');
const canMount =
  !DISTRIBUTED &&
  process.getuid?.() === 0 &&
  (() => {
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=40m', 'tmpfs', mountPoint]);
      return true;
    } catch {
      return false;
    }
  })();
if (!canMount && !DISTRIBUTED) console.warn('full-disk reservation test skipped: needs root to mount a tmpfs');

let server: TestServer | undefined;

beforeAll(async () => {
  if (!canMount) return;
  const dataDir = join(mountPoint, 'data');
  mkdirSync(dataDir);
  server = await startServer({ dataDir, env: { DEPTHMILL_CONCURRENCY: '1' } });
});

afterAll(async () => {
  await server?.stop();
  if (canMount) execFileSync('umount', [mountPoint]);
});

describe.skipIf(!canMount)('a disk too small for every result asked for', () => {
  it('refuses new tasks with 507 and lets every accepted task finish', { timeout: 240_000 }, async () => {
    const { accessToken } = await signIn(server!);
    // A pro EXR of this photo without background removal is about 10 MB: four of them do not fit
    // on the 40 MB disk beside the database, though each create-task sees far more than 16 MB free.
    const photo = readPhoto('skimage_coffee.png');
    const accepted: string[] = [];
    const refused: unknown[] = [];
    for (let i = 0; i < 4; i++) {
      const created = await createTask(server!.url, accessToken, form({ format: '1', model_type: 'pro', rmbg: '0' }, [{ bytes: photo }]));
      if (created.status === 507) refused.push(created.body);
      else {
        expect(created.body.code, created.body.msg).toBe(200);
        accepted.push(created.body.data.task_id);
      }
    }
    expect(accepted.length).toBeGreaterThan(0);

    const states = [];
    for (const id of accepted) states.push((await waitForTask(server!.url, accessToken, id, 120_000)).body);
    expect(states.map((body) => [body.data.state, body.msg])).toEqual(accepted.map(() => ['success', 'success']));
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]).toEqual({ code: 507, data: {}, msg: 'the server is out of storage space: try again later' });
  });
});
