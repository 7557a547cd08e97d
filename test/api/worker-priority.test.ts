// The depth work runs below the HTTP side's CPU priority (DEPTHMILL_WORKER_NICE), so create-task
// stays quick while the workers fill the cores. Checked the way an operator would, with the nice
// values the kernel reports per thread (what `top -H` or `ps -L -o nice` shows). Linux only: the
// nice value is per thread there.
import { readdirSync, readFileSync } from 'node:fs';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { produce } from '../helpers/api.js';
import { signIn, startServer, type TestServer } from '../helpers/server.js';
import { readPhoto } from '../helpers/fixtures.js';

/** Nice value of every thread of a process, by thread id (field 19 of /proc/<pid>/task/<tid>/stat). */
function threadNiceValues(pid: number): Map<number, number> {
  const values = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    values.set(Number(tid), Number(fields[16]));
  }
  return values;
}

describe.runIf(process.platform === 'linux')('worker thread priority', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ env: { DEPTHMILL_CONCURRENCY: '2', DEPTHMILL_WORKER_NICE: '7' } });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('runs the workers at the configured nice value and the HTTP thread at the normal one', async () => {
    const { accessToken } = await signIn(server);
    const photo = readPhoto('opencv_apple.jpg');
    const png = await produce(server.url, accessToken, photo, { format: '2', model_type: 'base' });
    expect((await sharp(png.bytes).metadata()).format).toBe('png');

    const pid = server.process.pid!;
    const nice = threadNiceValues(pid);
    // The main thread (its id is the process id) serves HTTP: untouched.
    expect(nice.get(pid)).toBe(0);
    // Both worker threads (and any inference threads they started) run at 7.
    expect([...nice.values()].filter((value) => value === 7).length).toBeGreaterThanOrEqual(2);
  });
});
