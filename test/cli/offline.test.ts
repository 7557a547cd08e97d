// A self-hosted server that promises to work offline reaches nobody: the real server runs a real
// task in a network namespace of its own (loopback only) under strace, and for 15 s after the task
// (ONNX Runtime 1.29+'s telemetry looked up its collector every 5 to 10 s) it makes no DNS query
// and sends to no address beyond loopback, and leaves no telemetry device identifier behind.
// Needs root for `unshare -n` and strace: it skips, saying so, where either is missing.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { inputImage } from '../helpers/distinct-inputs.js';
import { BIN, createClientCredentials, tempDir } from '../helpers/server.js';
import { modelCacheDir } from '../../src/models/model-cache.js';

/** Why this machine cannot run the check, or undefined when it can. */
function unavailable(): string | undefined {
  if (spawnSync('strace', ['-V']).status !== 0) return 'strace is not installed';
  const netns = spawnSync('unshare', ['-n', 'ip', 'link', 'set', 'lo', 'up'], { encoding: 'utf8' });
  if (netns.status !== 0) return `cannot make a network namespace (unshare -n needs root): ${netns.stderr || netns.error?.message}`;
  return undefined;
}
const skipReason = unavailable();

// ONNX Runtime suppresses its telemetry by itself where a CI variable is set: the server here must
// not have them, or the check would pass in CI whatever the code does.
// Nor the switches themselves: the server must set them on its own.
const CI_VARIABLES = [
  ...['CI', 'TF_BUILD', 'GITHUB_ACTIONS', 'GITLAB_CI', 'CIRCLECI', 'TRAVIS', 'JENKINS_URL', 'CODEBUILD_BUILD_ID'],
  ...['BUILDKITE', 'TEAMCITY_VERSION', 'APPVEYOR', 'BITBUCKET_BUILD_NUMBER', 'SYSTEM_TEAMFOUNDATIONCOLLECTIONURI'],
  ...['ORT_DISABLE_TELEMETRY', 'ORT_TELEMETRY_DISABLED'],
];
function environment(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  for (const name of CI_VARIABLES) delete env[name];
  return env;
}

/** The destinations of the traced calls that are not loopback, AF_UNIX or the kernel's netlink. */
function outsideDestinations(trace: string): string[] {
  return trace.split('\n').filter((line) => {
    if (!/\b(connect|sendto|sendmsg|sendmmsg)\(/.test(line) || !line.includes('sa_family=')) return false;
    if (/sa_family=AF_(UNIX|NETLINK)\b/.test(line)) return false;
    if (/sa_family=AF_INET,.*inet_addr\("127\./.test(line)) return false;
    if (/sa_family=AF_INET6,.*inet_pton\(AF_INET6, "::1"\)/.test(line)) return false;
    return true;
  });
}

/** Runs the command line inside the network namespace of process `pid`; its status and output. */
function cliInNamespace(pid: number, args: string[], env: Record<string, string>): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(pid), '-n', process.execPath, BIN, ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, output }));
  });
}

let server: ChildProcess | undefined;
afterAll(async () => {
  // strace's child is the server; SIGTERM to it (strace alone would only detach), and strace ends with it.
  if (!server?.pid || server.exitCode !== null) return;
  const exited = new Promise((resolve) => server!.once('exit', resolve));
  const children = readFileSync(`/proc/${server.pid}/task/${server.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
  for (const pid of children) process.kill(Number(pid), 'SIGTERM');
  await exited;
});

it.skipIf(skipReason !== undefined)(
  `makes no DNS query and reaches no address beyond loopback while and after it runs a task${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  async () => {
    const dataDir = tempDir('offline');
    const home = tempDir('offline-home'); // where ONNX Runtime would keep its device identifier
    const trace = join(tempDir('offline-trace'), 'server.strace');
    const { clientId, clientSecret } = createClientCredentials(dataDir);
    const env = environment({
      DEPTHMILL_DATA: dataDir,
      DEPTHMILL_MODELS: modelCacheDir(),
      HOME: home,
      XDG_CACHE_HOME: join(home, '.cache'),
      DEPTHMILL_LOG_LEVEL: 'warn',
    });

    // A namespace of its own, so the port is free and loopback is all there is.
    const port = 8080;
    server = spawn(
      'unshare',
      [
        '-n',
        'sh',
        '-c',
        `ip link set lo up && exec strace -f -qq -e trace=bind,connect,sendto,sendmsg,sendmmsg -o '${trace}' '${process.execPath}' '${BIN}' serve --port ${port}`,
      ],
      {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    server.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await expect.poll(() => output, { timeout: 30_000, interval: 200 }).toMatch(/depthmill listening on/);

    // A client in the same namespace: the command line through the server, one depth map.
    const photo = join(tempDir('offline-photo'), 'photo.png');
    writeFileSync(photo, await inputImage(0));
    const client = await cliInNamespace(
      server.pid!,
      ['generate', photo, '-o', join(dataDir, 'out.png'), '--server', `http://127.0.0.1:${port}`, '--no-rmbg'],
      {
        DEPTHMILL_CLIENT_ID: clientId,
        DEPTHMILL_CLIENT_SECRET: clientSecret,
      },
    );
    expect(client.status, client.output).toBe(0);
    expect(existsSync(join(dataDir, 'out.png'))).toBe(true);

    // ONNX Runtime's telemetry looked up its collector 5 to 10 s apart after the first task.
    await new Promise((resolve) => setTimeout(resolve, 15_000));

    const calls = readFileSync(trace, 'utf8');
    expect(calls, 'the trace follows the server: it shows the server binding its port').toMatch(
      new RegExp(`bind\\(\\d+, \\{sa_family=AF_INET, sin_port=htons\\(${port}\\)`),
    );
    expect(
      calls.split('\n').filter((line) => line.includes('htons(53)')),
      'DNS queries',
    ).toEqual([]);
    expect(outsideDestinations(calls), 'calls to addresses beyond loopback').toEqual([]);
    expect(existsSync(join(home, '.cache/Microsoft')), 'a telemetry device identifier was written').toBe(false);
  },
  120_000,
);
