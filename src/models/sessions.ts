// ONNX Runtime sessions, created once and reused: creating one costs tens of milliseconds and
// several megabytes, far too much to repeat per task.
//
// The depth session is started as soon as the sessions object exists (every task needs it); the
// mask session only on the first task with rmbg=1, so a deployment that never removes backgrounds
// never loads U2-Net-p.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { DEFAULT_DECODE_LIMITS, type DecodeLimits } from '../raster/decode.js';
import { defaultModelName, expectedChecksum, modelCacheDir, modelEntry, modelPath, type ModelEntry } from './model-cache.js';
import { disableOnnxRuntimeTelemetry } from './ort-telemetry.js';

// Before any session of this process: the command line, the benches and the tests create theirs on
// the main thread (the server's worker threads rely on thread-pool.ts having done it).
disableOnnxRuntimeTelemetry();

export interface SessionOptions {
  /** Folder holding the model files; default: modelCacheDir(). */
  modelDir?: string;
  /** Registry names of the depth model per model_type; default: the bundled default for both. */
  depthModels?: { base?: string; pro?: string };
  /** Registry name of the mask model; default: the bundled default. */
  maskModel?: string;
  /** Bounds on decoding one image; default DEFAULT_DECODE_LIMITS. */
  decodeLimits?: DecodeLimits;
  /** ONNX Runtime execution providers in order of preference, e.g. ['cuda', 'cpu']; default cpu. */
  executionProviders?: string[];
  /** Told when a preferred provider could not start and the CPU is used instead. */
  onFallback?: (message: string) => void;
  /** Threads ONNX Runtime uses inside one operator; default: ONNX Runtime's own (all cores). */
  intraOpNumThreads?: number;
  /**
   * false: idle inference threads sleep at once instead of spinning for more work. Right when other
   * sessions' threads share the cores (several worker threads, each with every core): spinning
   * threads would take the CPU from the ones with work. Default true (ONNX Runtime's default).
   */
  allowSpinning?: boolean;
}

/** A ready session with the registry entry that says how to feed it. */
export interface LoadedModel {
  name: string;
  entry: ModelEntry;
  session: ort.InferenceSession;
}

/** What the pipeline needs: the depth model for a model_type and the mask model, loaded on demand. */
export interface PipelineSessions {
  depth(modelType?: 'base' | 'pro'): Promise<LoadedModel>;
  mask(): Promise<LoadedModel>;
  /** Bounds on decoding an image, set with the sessions because they are per deployment. */
  readonly decodeLimits?: DecodeLimits;
}

async function loadModel(name: string, task: 'depth' | 'mask', options: SessionOptions): Promise<LoadedModel> {
  const entry = modelEntry(name);
  if (entry.task !== task) throw new Error(`model "${name}" is a ${entry.task} model, not a ${task} model`);
  const modelDir = options.modelDir ?? modelCacheDir();
  const path = modelPath(name, modelDir);
  const bytes = await readFile(path);
  // A truncated or swapped file would otherwise surface as an obscure protobuf error, or worse,
  // load and give wrong depth. Hashing ~10 MB once per process costs a few milliseconds.
  const actual = createHash('sha256').update(bytes).digest('hex');
  const expected = expectedChecksum(name, modelDir);
  if (actual !== expected) {
    throw new Error(
      `model "${name}" at ${path} is damaged (sha256 ${actual}, expected ${expected}). ` +
        `Run \`npx depthmill models pull ${name}\` (the bundled models: \`npm run models:install\`) to fetch it again.`,
    );
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    // U2-Net-p's graph makes ONNX Runtime print dozens of harmless initializer warnings at level 2.
    logSeverityLevel: 3,
    // ONNX Runtime's CPU arena keeps the largest buffers it ever needed, per input shape, and never
    // gives them back: with tiles and images of every size, a long-running worker grew by hundreds
    // of MB under fuzzing. Plain allocation keeps memory flat (see test/api/fuzz.test.ts). Even for
    // the fixed-size models, where it would plateau, the arena costs more than it gives: U2-Net-p
    // runs 342 -> 233 ms with it but keeps 270-460 MB more resident per session (measured for issue 8).
    enableCpuMemArena: false,
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
    ...(options.allowSpinning === false ? { extra: { session: { intra_op: { allow_spinning: '0' } } } } : {}),
  };
  const providers = options.executionProviders ?? ['cpu'];
  try {
    const session = await ort.InferenceSession.create(bytes, { ...sessionOptions, executionProviders: providers });
    return { name, entry, session };
  } catch (error) {
    if (providers.length === 1 && providers[0] === 'cpu') throw error;
    // A GPU provider that cannot start here (no CUDA files, no device): the CPU still works.
    options.onFallback?.(
      `${providers.join(',')} unavailable for ${name} (${error instanceof Error ? error.message : String(error)}); using cpu`,
    );
    const session = await ort.InferenceSession.create(bytes, { ...sessionOptions, executionProviders: ['cpu'] });
    return { name, entry, session };
  }
}

/** The configured depth and mask models, each created at most once per ModelSessions object. */
export class ModelSessions implements PipelineSessions {
  private readonly loaded = new Map<string, Promise<LoadedModel>>();
  readonly decodeLimits: DecodeLimits;

  constructor(private readonly options: SessionOptions = {}) {
    this.decodeLimits = options.decodeLimits ?? DEFAULT_DECODE_LIMITS;
    // Started now, awaited by the first task: the load overlaps with that task's decoding.
    void this.depth('base');
    void this.depth('pro');
  }

  depth(modelType: 'base' | 'pro' = 'base'): Promise<LoadedModel> {
    return this.load(this.options.depthModels?.[modelType] ?? defaultModelName('depth'), 'depth');
  }

  mask(): Promise<LoadedModel> {
    return this.load(this.options.maskModel ?? defaultModelName('mask'), 'mask');
  }

  /** Frees the native sessions; a later depth()/mask() creates them again. */
  async release(): Promise<void> {
    const pending = [...this.loaded.values()];
    this.loaded.clear();
    for (const promise of pending) {
      const model = await promise.catch(() => undefined);
      await model?.session.release();
    }
  }

  private load(name: string, task: 'depth' | 'mask'): Promise<LoadedModel> {
    const existing = this.loaded.get(name);
    if (existing) return existing;
    const promise = loadModel(name, task, this.options);
    this.loaded.set(name, promise);
    // This handler also marks the rejection as handled, so an eager load that fails before any
    // task awaits it does not crash the process; depth()/mask() still report the error.
    // Forget a failed load so the next task retries (e.g. after `depthmill models pull`),
    // instead of every later task failing with the same stale error.
    promise.catch(() => {
      if (this.loaded.get(name) === promise) this.loaded.delete(name);
    });
    return promise;
  }
}

const shared = new Map<string, ModelSessions>();

/**
 * The process-wide sessions for these options: every caller in this process (or worker thread)
 * that asks with the same options shares the same native sessions.
 */
export function sharedSessions(options: SessionOptions = {}): ModelSessions {
  const key = JSON.stringify([
    options.modelDir ?? modelCacheDir(),
    options.intraOpNumThreads ?? null,
    options.allowSpinning ?? null,
    options.depthModels ?? null,
    options.maskModel ?? null,
    options.executionProviders ?? null,
    options.decodeLimits ?? null,
  ]);
  let sessions = shared.get(key);
  if (!sessions) {
    sessions = new ModelSessions(options);
    shared.set(key, sessions);
  }
  return sessions;
}
