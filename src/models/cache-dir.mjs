// @ts-check
// Where the models live: the one rule, shared by the server (model-cache.ts) and the install hook
// (scripts/install-models.mjs). Plain JavaScript because the hook runs during `npm ci`, before
// TypeScript is built; the build compiles this file along with the rest (allowJs), so dist/ has it
// beside model-cache.js.
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * The model cache directory: DEPTHMILL_MODELS, else $XDG_CACHE_HOME (or ~/.cache) + depthmill/models.
 * @param {NodeJS.ProcessEnv} [env]
 * @returns {string}
 */
export function modelCacheDir(env = process.env) {
  if (env.DEPTHMILL_MODELS) return env.DEPTHMILL_MODELS;
  const cacheRoot = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheRoot, 'depthmill', 'models');
}
