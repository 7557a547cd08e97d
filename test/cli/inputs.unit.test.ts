// What `depthmill generate` takes as inputs: files, folders, and quoted glob patterns, including
// the ones the first hand-written matcher got wrong (a wildcard inside braces, braces of globs).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expandInputs } from '../../src/cli/inputs.js';
import { tempDir } from '../helpers/server.js';

function shoot(): string {
  const dir = tempDir('inputs');
  for (const name of ['apple.jpg', 'banana.jpg', 'cherry.png', 'date.webp', 'apple.depth.png', 'apple.normal.png', 'notes.txt', 'b.jpg'])
    writeFileSync(join(dir, name), 'x');
  mkdirSync(join(dir, 'photos', 'day2'), { recursive: true });
  for (const name of ['one.jpg', 'two.png', 'three.gif']) writeFileSync(join(dir, 'photos', name), 'x');
  writeFileSync(join(dir, 'photos', 'day2', 'four.jpg'), 'x');
  return dir;
}

const names = (files: string[], dir: string) => files.map((file) => file.slice(dir.length + 1));

describe('generate inputs', () => {
  it('matches a wildcard inside braces, and braces of whole patterns', async () => {
    const dir = shoot();
    expect(names((await expandInputs(['{a*,b}.jpg'], dir)).files, dir)).toEqual(['apple.jpg', 'b.jpg']);
    expect(names((await expandInputs(['photos/{*.jpg,*.png}'], dir)).files, dir)).toEqual(['photos/one.jpg', 'photos/two.png']);
  });

  it('goes down folders with **, and leaves out what is not a photo or is an earlier output', async () => {
    const dir = shoot();
    expect(names((await expandInputs(['**/*.{jpg,png}'], dir)).files, dir)).toEqual([
      'apple.jpg',
      'b.jpg',
      'banana.jpg',
      'cherry.png',
      'photos/day2/four.jpg',
      'photos/one.jpg',
      'photos/two.png',
    ]);
    expect(names((await expandInputs(['?a*.jpg'], dir)).files, dir)).toEqual(['banana.jpg']);
  });

  it("takes a folder's photos (not its subfolders'), a named file whatever it is, each once, and says what named nothing", async () => {
    const dir = shoot();
    const { files, problems } = await expandInputs(['photos', 'notes.txt', 'photos/one.jpg', 'missing.jpg', '*.gif'], dir);
    expect(names(files, dir)).toEqual(['photos/one.jpg', 'photos/two.png', 'notes.txt']);
    expect(problems).toEqual(['missing.jpg: no such file or folder', '*.gif: no photo matches this pattern']);
  });
});
