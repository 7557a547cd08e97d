// What a failed task tells its client: what was wrong with the input, in plain words; of a failure
// inside the server only that it happened (no file paths, model files or library messages), while
// the server's log keeps the detail. The failure's kind crosses the worker-thread boundary as data.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createTask, form, token, waitForTask } from '../helpers/api.js';
import { copyBundledModels, createClientCredentials, startServer, tempDir } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

const photo = readPhoto('opencv_orange.jpg');

describe('failure messages', () => {
  it('hides a failure inside the server (a broken model file) from the client, and logs it', async () => {
    const models = tempDir('broken-models');
    copyBundledModels(models);
    // The depth model's file is there but is not an ONNX model: the session cannot be created.
    writeFileSync(join(models, 'fastdepth_7.onnx'), Buffer.alloc(4096, 7));
    const server = await startServer({ env: { DEPTHMILL_MODELS: models, DEPTHMILL_LOG_LEVEL: 'info' } });
    try {
      const { clientId, clientSecret } = createClientCredentials(server.dataDir);
      const accessToken = await token(server.url, clientId, clientSecret);
      const created = await createTask(server.url, accessToken, form({ format: '2', model_type: 'base', rmbg: '0' }, [{ bytes: photo }]));
      const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
      expect(done.body.code).toBe(5001001);
      expect(done.body.msg).toBe(
        'generate failed: the server could not make the result (its log says why); try again, or report the task id',
      );
      expect(done.body.msg).not.toContain(models);
      await server.stop();
      const log = server.output();
      expect(log).toMatch(/"msg":"task failed inside the server"/);
      expect(log).toContain('fastdepth_7.onnx');
    } finally {
      await server.stop();
    }
  });

  it('tells the client what was wrong with its input, across the worker thread', async () => {
    const server = await startServer();
    try {
      const { clientId, clientSecret } = createClientCredentials(server.dataDir);
      const accessToken = await token(server.url, clientId, clientSecret);
      // A fully transparent PNG with the background removed: the cut leaves nothing to make a relief of.
      const empty = await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
        .png()
        .toBuffer();
      const created = await createTask(server.url, accessToken, form({ format: '3', model_type: 'base', rmbg: '1' }, [{ bytes: empty }]));
      const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
      expect(done.body.code).toBe(5001001);
      expect(done.body.msg).toMatch(/^generate failed: the background removal left no object to make a relief of/);
    } finally {
      await server.stop();
    }
  });
});
