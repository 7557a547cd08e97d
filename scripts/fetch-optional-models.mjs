#!/usr/bin/env node
// Install step for the optional models the registry marks fetchAtInstall (Depth Anything V2 Small),
// with the same downloader as `depthmill models pull`. Two callers:
//   - `prepare`, in a clone (`npm ci`, `npm install`), after the build has made dist/;
//   - `postinstall --postinstall`, in an installed package (`npm install depthmill` or a tarball),
//     where npm runs no `prepare` but dist/ came built in the tarball. In a clone, postinstall runs
//     before the build, so it leaves the fetch to `prepare` (the clone is told by its src/cli/).
// Never fails the install: an unreachable host costs one line. DEPTHMILL_SKIP_MODEL_DOWNLOADS=1 skips it.
import { existsSync } from 'node:fs';

const fromPostinstall = process.argv.includes('--postinstall');
const built = new URL('../dist/cli/models.js', import.meta.url);

if (fromPostinstall && existsSync(new URL('../src/cli/', import.meta.url))) {
  // A source checkout: `prepare` fetches after the build.
} else if (!existsSync(built)) {
  console.log('depthmill: optional models not fetched (dist/ is not built); fetch them later with `npx depthmill models pull <name>`');
} else {
  try {
    const { fetchOptionalModels } = await import(built.href);
    await fetchOptionalModels();
  } catch (error) {
    // fetchOptionalModels reports its own failures; this is anything else (a broken registry file).
    console.log(`depthmill: optional models not fetched (${(error instanceof Error ? error.message : String(error)).split('\n')[0]})`);
  }
}
