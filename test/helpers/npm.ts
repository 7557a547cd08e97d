// npm as a user runs it, for the tests that pack a package and install the tarball in an empty
// folder (test/cli/pack-install.test.ts, test/client/sdk-package.test.ts).
import { execFileSync, spawn } from 'node:child_process';
import { join } from 'node:path';
import { tempDir } from './server.js';

/** This process's environment less npm's own variables (set when vitest runs under `npm test`), which would steer the nested npm. */
export const baseEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^npm_/i.test(key))) as Record<string, string>;

export function run(
  command: string,
  args: string[],
  cwd: string,
  env: Record<string, string>,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env: { ...baseEnv, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('error', reject);
    child.once('close', (status) => resolve({ status, output }));
  });
}

/**
 * `npm pack` of the package in `dir`, into a new temporary folder: the tarball's path. Without its
 * scripts (`prepare` would build again): the suite's build step made dist/.
 */
export function pack(dir: string): string {
  const packDir = tempDir('pack');
  const [packed] = JSON.parse(
    execFileSync('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', packDir], {
      cwd: dir,
      env: baseEnv,
      encoding: 'utf8',
    }),
  ) as { filename: string }[];
  return join(packDir, packed!.filename);
}

/** The paths in a tarball. */
export function tarballFiles(tarball: string): string[] {
  return execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
}
