// Time limits and retention: an overdue task fails with 5001001 (and its callback says so), files
// past the retention period are deleted, and an expired task or link answers clearly, not 500.
// SIGTERM lets the running task finish and leaves the queued ones for the next start.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTask, download, form, queryTask, token, waitForTask, type Envelope, type TaskData } from '../helpers/api.js';
import { httpFixture, type Fixture } from '../helpers/http-fixture.js';
import { createClientCredentials, DISTRIBUTED, startServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

const PHOTO = readPhoto('skimage_coffee.png');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let hooks: Fixture;
const received: Envelope<TaskData>[] = [];

beforeAll(async () => {
  hooks = await httpFixture((_request, body, response) => {
    received.push(JSON.parse(body.toString()) as Envelope<TaskData>);
    response.writeHead(200).end();
  });
});

afterAll(async () => {
  await hooks?.close();
});

describe('time limit', () => {
  it('stops the work of a task past its time: no late result is written or reported', { timeout: 60_000 }, async () => {
    const server = await startServer({
      env: { DEPTHMILL_CONCURRENCY: '1', DEPTHMILL_TASK_TIMEOUT_MS: '1000', DEPTHMILL_LOG_LEVEL: 'info' },
    });
    try {
      const { clientId, clientSecret } = createClientCredentials(server.dataDir);
      const accessToken = await token(server.url, clientId, clientSecret);
      // A pro relief with the background removed: several seconds of work on this machine.
      const created = await createTask(server.url, accessToken, form({ format: '3', model_type: 'pro', rmbg: '1' }, [{ bytes: PHOTO }]));
      const taskId = created.body.data.task_id;
      const done = await waitForTask(server.url, accessToken, taskId);
      expect(done.body.msg).toMatch(/did not finish within 1\.0 s/);
      // Long enough for the work to have ended, had it gone on.
      await sleep(8000);
      // (Distributed: the blobs are in S3, and the log below is the check.)
      if (!DISTRIBUTED)
        expect(existsSync(join(server.dataDir, 'blobs/results')) ? readdirSync(join(server.dataDir, 'blobs/results')) : []).toEqual([]);
      const ended = server
        .output()
        .split('\n')
        .filter((line) => line.includes(taskId) && line.includes('"task ended"'));
      expect(ended.every((line) => line.includes('"state":"failed"'))).toBe(true);
      expect(server.output()).not.toMatch(new RegExp(`${taskId}[^\n]*"state":"success"`));
      // Stopping the work never takes the process down with it.
      expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
      expect(server.process.exitCode).toBeNull();
    } finally {
      await server.stop();
    }
  });

  it('fails tasks that did not finish in time, with 5001001 and a callback', async () => {
    const server = await startServer({
      env: { DEPTHMILL_CONCURRENCY: '1', DEPTHMILL_TASK_TIMEOUT_MS: '1500', DEPTHMILL_HOUSEKEEPING_INTERVAL_MS: '200' },
    });
    try {
      const { clientId, clientSecret } = createClientCredentials(server.dataDir);
      const accessToken = await token(server.url, clientId, clientSecret);
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        ids.push(
          (await createTask(server.url, accessToken, form({ format: '1', callback_url: `${hooks.url}/t` }, [{ bytes: PHOTO }]))).body.data
            .task_id,
        );
      }
      const last = await waitForTask(server.url, accessToken, ids.at(-1)!);
      expect(last.status).toBe(200);
      expect(last.body.code).toBe(5001001);
      expect(last.body.msg).toMatch(/^generate failed: the task did not finish within 1\.5 s/);
      expect(last.body.data).toEqual({ task_id: ids.at(-1), state: 'failed' });
      for (let waited = 0; !received.some((body) => body.data.task_id === ids.at(-1)) && waited < 10_000; waited += 100) await sleep(100);
      expect(received.find((body) => body.data.task_id === ids.at(-1))).toMatchObject({ code: 5001001, data: { state: 'failed' } });
    } finally {
      await server.stop();
    }
  });
});

describe('retention', () => {
  it('deletes files after the retention period and says so on query and download', async () => {
    // 0.001 h = 3.6 s.
    const server = await startServer({ env: { DEPTHMILL_RETENTION_HOURS: '0.001', DEPTHMILL_HOUSEKEEPING_INTERVAL_MS: '200' } });
    try {
      const { clientId, clientSecret } = createClientCredentials(server.dataDir);
      const accessToken = await token(server.url, clientId, clientSecret);
      // With the user's mask: a second input file, which must go too.
      const mask = await sharp({ create: { width: 300, height: 200, channels: 3, background: '#fff' } })
        .png()
        .toBuffer();
      const created = await createTask(
        server.url,
        accessToken,
        form({ format: '6', model_type: 'base' }, [{ bytes: PHOTO }], [{ bytes: mask }]),
      );
      const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
      expect((await download(done.body.data.url!)).status).toBe(200);
      const inputs = join(server.dataDir, 'blobs/inputs');
      if (!DISTRIBUTED) expect(readdirSync(inputs).sort()).toEqual([created.body.data.task_id, `${created.body.data.task_id}.mask`]);

      let answer = await queryTask(server.url, accessToken, created.body.data.task_id);
      for (let waited = 0; answer.status === 200 && waited < 15_000; waited += 250) {
        await sleep(250);
        answer = await queryTask(server.url, accessToken, created.body.data.task_id);
      }
      expect(answer.status).toBe(410);
      expect(answer.body.code).toBe(410);
      expect(answer.body.msg).toMatch(/^task expired: its files were deleted on \d{4}-.*kept 0\.001 hours/);
      expect(answer.body.data).toEqual({ task_id: created.body.data.task_id, state: 'success' });
      if (!DISTRIBUTED) expect(readdirSync(inputs)).toEqual([]);

      const stale = await download(done.body.data.url!);
      if (new URL(done.body.data.url!).searchParams.has('expires')) {
        // Our own link: a clear envelope.
        expect(stale.status).toBe(410);
        expect(JSON.parse(stale.bytes.toString())).toMatchObject({ code: 410, msg: expect.stringMatching(/file expired/) });
      } else {
        // An S3 presigned link: the object is gone from the bucket, and S3 says NoSuchKey.
        expect(stale.status).toBe(404);
        expect(stale.bytes.toString()).toMatch(/NoSuchKey/);
      }
    } finally {
      await server.stop();
    }
  });
});

describe('SIGTERM', () => {
  it('drains: the running task finishes, queued ones run after the next start', async () => {
    const first = await startServer({ env: { DEPTHMILL_CONCURRENCY: '1' } });
    const { clientId, clientSecret } = createClientCredentials(first.dataDir);
    let accessToken = await token(first.url, clientId, clientSecret);
    const ids: string[] = [];
    for (let i = 0; i < 4; i++)
      ids.push((await createTask(first.url, accessToken, form({ format: '1' }, [{ bytes: PHOTO }]))).body.data.task_id);
    for (
      let waited = 0;
      (await queryTask(first.url, accessToken, ids[0])).body.data.state !== 'processing' && waited < 10_000;
      waited += 20
    )
      await sleep(20);
    await first.stop('SIGTERM');
    expect(first.process.exitCode).toBe(0);
    expect(first.output()).toMatch(/SIGTERM received/);

    const second = await startServer({ dataDir: first.dataDir, env: { DEPTHMILL_CONCURRENCY: '1' } });
    try {
      accessToken = await token(second.url, clientId, clientSecret);
      for (const id of ids) expect((await waitForTask(second.url, accessToken, id)).body.data.state).toBe('success');
    } finally {
      await second.stop();
    }
  });
});
