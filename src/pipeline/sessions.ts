// ONNX Runtime sessions, created once and reused: creating one costs tens of milliseconds and
// several megabytes, far too much to repeat per task.
//
// The depth session is started as soon as the sessions object exists (every task needs it); the
// mask session only on the first task with rmbg=1, so a deployment that never removes backgrounds
// never loads U2-Net-p.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { defaultModelName, modelCacheDir, modelEntry, modelPath, type ModelEntry } from './model-cache.js';

export interface SessionOptions {
  /** Folder holding the model files; default: modelCacheDir(). */
  modelDir?: string;
  /** Threads ONNX Runtime uses inside one operator; default: ONNX Runtime's own (all cores). */
  intraOpNumThreads?: number;
}

/** A ready session with the registry entry that says how to feed it. */
export interface LoadedModel {
  name: string;
  entry: ModelEntry;
  session: ort.InferenceSession;
}

/** What the pipeline needs: the two models, loaded on demand. */
export interface PipelineSessions {
  depth(): Promise<LoadedModel>;
  mask(): Promise<LoadedModel>;
}

async function loadModel(name: string, options: SessionOptions): Promise<LoadedModel> {
  const entry = modelEntry(name);
  const path = modelPath(name, options.modelDir ?? modelCacheDir());
  const bytes = await readFile(path);
  // A truncated or swapped file would otherwise surface as an obscure protobuf error, or worse,
  // load and give wrong depth. Hashing ~10 MB once per process costs a few milliseconds.
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== entry.sha256) {
    throw new Error(
      `model "${name}" at ${path} is damaged (sha256 ${actual}, expected ${entry.sha256}). ` +
        'Run `npm run models:install` to fetch it again.',
    );
  }
  const session = await ort.InferenceSession.create(bytes, {
    // U2-Net-p's graph makes ONNX Runtime print dozens of harmless initializer warnings at level 2.
    logSeverityLevel: 3,
    ...(options.intraOpNumThreads !== undefined ? { intraOpNumThreads: options.intraOpNumThreads } : {}),
  });
  return { name, entry, session };
}

/** The default depth and mask models, each created at most once per ModelSessions object. */
export class ModelSessions implements PipelineSessions {
  private depthModel: Promise<LoadedModel> | undefined;
  private maskModel: Promise<LoadedModel> | undefined;

  constructor(private readonly options: SessionOptions = {}) {
    // Started now, so that the load overlaps with whatever precedes the first task (start-up, upload).
    this.depthModel = this.start('depth');
  }

  depth(): Promise<LoadedModel> {
    this.depthModel ??= this.start('depth');
    return this.depthModel;
  }

  mask(): Promise<LoadedModel> {
    this.maskModel ??= this.start('mask');
    return this.maskModel;
  }

  /** Frees the native sessions; a later depth()/mask() creates them again. */
  async release(): Promise<void> {
    const loaded = [this.depthModel, this.maskModel];
    this.depthModel = undefined;
    this.maskModel = undefined;
    for (const pending of loaded) {
      const model = await pending?.catch(() => undefined);
      await model?.session.release();
    }
  }

  private start(task: 'depth' | 'mask'): Promise<LoadedModel> {
    const promise = loadModel(defaultModelName(task), this.options);
    // This handler also marks the rejection as handled, so an eager load that fails before any
    // task awaits it does not crash the process; depth()/mask() still report the error.
    // Forget a failed load so the next task retries (e.g. after `npm run models:install`),
    // instead of every later task failing with the same stale error.
    promise.catch(() => {
      if (task === 'depth' && this.depthModel === promise) this.depthModel = undefined;
      if (task === 'mask' && this.maskModel === promise) this.maskModel = undefined;
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
  const key = JSON.stringify([options.modelDir ?? modelCacheDir(), options.intraOpNumThreads ?? null]);
  let sessions = shared.get(key);
  if (!sessions) {
    sessions = new ModelSessions(options);
    shared.set(key, sessions);
  }
  return sessions;
}
