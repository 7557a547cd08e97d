// Nothing secret in the logs: a full round trip at info level, then the log is searched for the
// client secret, the access token and the download link's signature; and one line per request,
// none for polling.
import { expect, it } from 'vitest';
import { createTask, download, form, token, waitForTask } from '../../helpers/api.js';
import { createClientCredentials, startServer } from '../../helpers/server.js';
import { readPhoto } from '../../helpers/fixtures.js';

it('logs requests without secrets, tokens or link signatures', async () => {
  const server = await startServer({ env: { DEPTHMILL_LOG_LEVEL: 'info' } });
  try {
    const { clientId, clientSecret } = createClientCredentials(server.dataDir);
    const accessToken = await token(server.url, clientId, clientSecret);
    const photo = readPhoto('opencv_orange.jpg');
    const created = await createTask(server.url, accessToken, form({ format: '6', model_type: 'base', rmbg: '0' }, [{ bytes: photo }]));
    const done = await waitForTask(server.url, accessToken, created.body.data.task_id);
    const url = new URL(done.body.data.url!);
    expect((await download(url.toString())).status).toBe(200);
    await server.stop();

    const log = server.output();
    expect(log).toMatch(/"msg":"task ended"/); // the log is there and at info level
    expect(log).toContain(created.body.data.task_id);
    expect(log).not.toContain(clientSecret);
    expect(log).not.toContain(accessToken);
    const signature = url.searchParams.get('signature') ?? url.searchParams.get('X-Amz-Signature');
    expect(signature).toBeTruthy();
    expect(log).not.toContain(signature!);

    // One line per request at info (not Fastify's two), and polling query-task adds none.
    const requestLines = log.split('\n').filter((line) => line.includes('"msg":"request"'));
    expect(log).not.toMatch(/"msg":"(incoming request|request completed)"/);
    expect(requestLines.filter((line) => line.includes('/open-api/v1/depth/create-task'))).toHaveLength(1);
    // (A download from S3, in the distributed run, never reaches the server.)
    expect(requestLines.filter((line) => line.includes('/files/'))).toHaveLength(url.pathname.startsWith('/files/') ? 1 : 0);
    expect(requestLines.filter((line) => line.includes('query-task'))).toEqual([]);
    expect(requestLines[0]).toMatch(/"method":"\w+","url":"[^"]+","status":\d{3},"ms":\d+/);
  } finally {
    await server.stop();
  }
});
