// A task once acknowledged survives a crash: kill the server hard while tasks wait in its queue,
// start it again on the same data, and every task finishes, with its mask file if it had one.
import sharp from 'sharp';
import { expect, it } from 'vitest';
import { createTask, download, form, queryTask, token, waitForTask } from '../helpers/api.js';
import { createClientCredentials, startServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

const PHOTO = readPhoto('skimage_coffee.png');

it('picks up queued and running tasks again after SIGKILL', async () => {
  // One task at a time, pro with background removal: the later tasks are surely still queued.
  const first = await startServer({ env: { DEPTHMILL_CONCURRENCY: '1' } });
  const { clientId, clientSecret } = createClientCredentials(first.dataDir);
  let accessToken = await token(first.url, clientId, clientSecret);
  const taskIds: string[] = [];
  for (let i = 0; i < 4; i++) {
    const created = await createTask(first.url, accessToken, form({ format: '1' }, [{ bytes: PHOTO }]));
    expect(created.body.code).toBe(200);
    taskIds.push(created.body.data.task_id);
  }
  // The last one, surely queued, with the user's mask: a rectangle at the output size (pro: 2048 × 1365).
  const mask = await sharp({ create: { width: 2048, height: 1365, channels: 3, background: '#000' } })
    .composite([{ input: { create: { width: 900, height: 700, channels: 3, background: '#fff' } }, left: 600, top: 300 }])
    .toColourspace('b-w')
    .png()
    .toBuffer();
  const masked = await createTask(first.url, accessToken, form({ format: '2' }, [{ bytes: PHOTO }], [{ bytes: mask }]));
  expect(masked.body.code).toBe(200);
  taskIds.push(masked.body.data.task_id);
  const statesBefore = await Promise.all(taskIds.map(async (id) => (await queryTask(first.url, accessToken, id)).body.data.state));
  expect(statesBefore.filter((state) => state === 'queueing').length).toBeGreaterThanOrEqual(2);
  await first.stop('SIGKILL');

  const second = await startServer({ dataDir: first.dataDir, env: { DEPTHMILL_CONCURRENCY: '1' } });
  try {
    // Tokens survive the restart too: the signing secret lives with the data.
    expect((await queryTask(second.url, accessToken, taskIds[0])).status).toBe(200);
    accessToken = await token(second.url, clientId, clientSecret);
    for (const id of taskIds) {
      const done = await waitForTask(second.url, accessToken, id);
      expect(done.body.data.state, id).toBe('success');
    }
    const result = await download((await queryTask(second.url, accessToken, masked.body.data.task_id)).body.data.url!);
    const alpha = await sharp(result.bytes).extractChannel('alpha').toColourspace('b-w').raw().toBuffer();
    expect(alpha.equals(await sharp(mask).extractChannel(0).raw().toBuffer())).toBe(true);
  } finally {
    await second.stop();
  }
});
