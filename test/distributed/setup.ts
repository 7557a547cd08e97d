// Global set-up of the distributed test run: a real S3-compatible server (s3rver) for the whole
// run, started here as its own process. PostgreSQL and Redis are the machine's (.ci/run checks them).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';

let s3rver: ChildProcess | undefined;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const directory = mkdtempSync(join(tmpdir(), 'depthmill-s3rver-'));
  const bin = resolve(import.meta.dirname, '../../node_modules/.bin/s3rver');
  s3rver = spawn(bin, ['-d', directory, '-a', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const endpoint = await new Promise<string>((resolvePort, reject) => {
    let output = '';
    const timer = setTimeout(() => reject(new Error(`s3rver did not start: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (\S+):(\d+)|port (\d+)/i.exec(output);
      if (match) {
        clearTimeout(timer);
        resolvePort(`http://127.0.0.1:${match[2] ?? match[3]}`);
      }
    };
    s3rver!.stdout!.on('data', onData);
    s3rver!.stderr!.on('data', onData);
    s3rver!.once('exit', (code) => reject(new Error(`s3rver exited with ${code}: ${output}`)));
  });
  project.provide('s3Endpoint', endpoint);
  return async () => {
    s3rver?.kill();
  };
}

declare module 'vitest' {
  export interface ProvidedContext {
    s3Endpoint: string;
  }
}
