// `npm test` runs the linter with type-aware rules on the async code (eslint.config.js): a promise
// nobody awaits or catches, or an async function handed where a plain callback is expected, is
// refused, so a rejected promise cannot end the server unnoticed.
import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/server.js';

const eslint = new ESLint({ cwd: REPO });

/**
 * The rules broken by `text` linted as if it were the file at `path`: an existing file of the
 * project, since the type-aware rules see only files of its tsconfig; its text on disk is not read.
 */
async function rulesBroken(path: string, text: string): Promise<string[]> {
  const [result] = await eslint.lintText(text, { filePath: join(REPO, 'src', path) });
  return result!.messages.map((message) => message.ruleId ?? message.message);
}

const ASYNC = 'export async function save(): Promise<void> {}\n';

describe('the linter on async code', () => {
  it('refuses a floating promise and an async timer callback', async () => {
    expect(await rulesBroken('tasks/task-runner.ts', `${ASYNC}export function run(): void {\n  save();\n}\n`)).toEqual([
      '@typescript-eslint/no-floating-promises',
    ]);
    expect(
      await rulesBroken(
        'adapters/local-queue.ts',
        `${ASYNC}export function later(): void {\n  setTimeout(async () => {\n    await save();\n  }, 1);\n}\n`,
      ),
    ).toEqual(['@typescript-eslint/no-misused-promises']);
  });

  it('lets a promise be awaited, or handed off on purpose with void and a catch', async () => {
    expect(
      await rulesBroken(
        'tasks/task-runner.ts',
        `${ASYNC}export async function run(): Promise<void> {\n  await save();\n  void save().catch(() => undefined);\n}\n`,
      ),
    ).toEqual([]);
  });
});
