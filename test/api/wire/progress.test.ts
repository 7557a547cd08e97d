// query-task's `progress` (0–100) comes from the stages the worker reaches, not a fixed number: a
// client polling a relief sees it climb through the work, never go back, and end at 100; the SDK's
// waitForTask reports each step.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DepthmillClient } from '@depthmill/client';
import { createTask, form, queryTask, token } from '../../helpers/api.js';
import { createClientCredentials, startServer, type TestServer } from '../../helpers/server.js';
import { readPhoto } from '../../helpers/fixtures.js';

// A 12 MP photo at pro: seconds of work on this machine, long enough to be seen mid-way.
const photo = readPhoto('opencv_orange.jpg');

describe('progress', () => {
  let server: TestServer;

  beforeAll(async () => {
    server = await startServer({ env: { DEPTHMILL_CONCURRENCY: '1' } });
  });
  afterAll(() => server?.stop());

  it('climbs through the stages of a relief, never goes back, and ends at 100', async () => {
    const { clientId, clientSecret } = createClientCredentials(server.dataDir, 'poller');
    const accessToken = await token(server.url, clientId, clientSecret);
    const created = await createTask(server.url, accessToken, form({ format: '3', model_type: 'pro', rmbg: '1' }, [{ bytes: photo }]));
    const taskId = created.body.data.task_id;
    const seen: { state: string; progress: number }[] = [];
    for (;;) {
      const { body } = await queryTask(server.url, accessToken, taskId);
      expect(body.code, body.msg).toBe(200);
      const { state, progress = -1 } = body.data;
      expect(Number.isInteger(progress) && progress >= 0 && progress <= 100).toBe(true);
      if (seen.at(-1)?.progress !== progress || seen.at(-1)?.state !== state) seen.push({ state, progress });
      if (state === 'success') break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const values = seen.map((step) => step.progress);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(seen.at(-1)).toEqual({ state: 'success', progress: 100 });
    for (const step of seen) if (step.state === 'queueing' || step.state === 'created') expect(step.progress).toBe(0);
    // Several real stages seen while processing (decode, the depth passes, mask, relief, encode).
    const processing = new Set(seen.filter((step) => step.state === 'processing').map((step) => step.progress));
    expect(processing.size, JSON.stringify(seen)).toBeGreaterThanOrEqual(3);
    expect(
      [...processing].some((value) => value > 50 && value < 100),
      JSON.stringify(seen),
    ).toBe(true);
  });

  it("is reported by the SDK's waitForTask as it moves", async () => {
    const client = new DepthmillClient({ baseUrl: server.url, ...createClientCredentials(server.dataDir, 'sdk') });
    const taskId = await client.createTask({ file: photo, format: 'png', modelType: 'pro', rmbg: true });
    const reported: number[] = [];
    const done = await client.waitForTask(taskId, { intervalMs: 25, onProgress: (task) => reported.push(task.progress ?? -1) });
    expect(done.progress).toBe(100);
    expect(reported.at(-1)).toBe(100);
    expect(reported).toEqual([...reported].sort((a, b) => a - b));
    expect(new Set(reported.filter((value) => value > 0 && value < 100)).size, JSON.stringify(reported)).toBeGreaterThanOrEqual(2);
  });
});
