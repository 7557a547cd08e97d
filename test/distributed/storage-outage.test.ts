// S3 away for a moment while a task runs: the task runner tries the storage call again instead
// of failing the task for good. The store here is its own s3rver, killed with SIGKILL right
// after the task is accepted and started again on the same port and directory a little later.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createTask, download, form, queryTask, waitForTask } from '../helpers/api.js';
import { signIn, startServer, tempDir, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

const S3RVER = resolve(import.meta.dirname, '../../node_modules/.bin/s3rver');
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const probe = createServer().listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => done(port));
    });
    probe.once('error', fail);
  });
}

/** s3rver on this port and directory, resolved once it listens. */
function startS3(port: number, directory: string): Promise<ChildProcess> {
  const child = spawn(S3RVER, ['-d', directory, '-a', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((done, fail) => {
    let output = '';
    const timer = setTimeout(() => fail(new Error(`s3rver did not start: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (/listening on|port \d+/i.test(output)) {
        clearTimeout(timer);
        done(child);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => fail(new Error(`s3rver exited with ${code}: ${output}`)));
  });
}

describe('object storage briefly away', () => {
  let s3: ChildProcess | undefined;
  let server: TestServer | undefined;
  afterAll(async () => {
    await server?.stop();
    s3?.kill('SIGKILL');
  });

  it('finishes a task whose storage calls failed while S3 was down', { timeout: 120_000 }, async () => {
    const port = await freePort();
    const directory = tempDir('s3-outage');
    s3 = await startS3(port, directory);
    server = await startServer({
      env: { DEPTHMILL_BLOBS: 's3://outage-test/blobs', DEPTHMILL_S3_ENDPOINT: `http://127.0.0.1:${port}` },
    });
    const { accessToken } = await signIn(server);
    const photo = readPhoto('opencv_apple.jpg');

    // Accepted (the input is in S3), then S3 goes away before the result can be written.
    const created = await createTask(server.url, accessToken, form({ model_type: 'pro', format: '2' }, [{ bytes: photo }]));
    expect(created.body.code).toBe(200);
    const taskId = created.body.data.task_id;
    s3.kill('SIGKILL');
    await sleep(3000);
    expect((await queryTask(server.url, accessToken, taskId)).body.data?.state).not.toBe('failed');
    s3 = await startS3(port, directory);

    const done = (await waitForTask(server.url, accessToken, taskId)).body.data;
    expect(done.state).toBe('success');
    expect(server.output()).toMatch(/storage unavailable while (reading the input|writing the result); trying again/);
    const result = await download(done.url!);
    expect(result.status).toBe(200);
    expect(result.bytes.subarray(1, 4).toString()).toBe('PNG');
  });
});
