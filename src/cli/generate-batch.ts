// Runs `depthmill generate` over its files: a few at a time, skipping outputs that exist (unless
// forced), never letting one failure stop the rest; a progress bar on a terminal, a line per file
// otherwise, and a summary (or JSON) at the end.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, relative } from 'node:path';
import cliProgress from 'cli-progress';
import type { MeshSummary } from '../contract/task.js';

export interface Job {
  input: string;
  output: string;
  /** Where the mask the pipeline used goes (--mask-out), if anywhere. */
  mask?: string;
}

/** Makes one output (and its mask, when the job has a place for it); rejects with an Error that says what went wrong with this file. */
export type Producer = (
  input: string,
  signal: AbortSignal,
) => Promise<{ bytes: Uint8Array; mask?: Uint8Array; taskId?: string; mesh?: MeshSummary }>;

export type FileStatus = 'written' | 'skipped' | 'failed' | 'cancelled';

export interface FileResult {
  input: string;
  output: string;
  mask?: string;
  status: FileStatus;
  error?: string;
  task_id?: string;
  bytes?: number;
  seconds?: number;
  /** Relief formats: triangles, and shells (separate parts, each standing on the bed). */
  mesh?: MeshSummary;
}

export interface BatchSummary {
  total: number;
  written: number;
  skipped: number;
  failed: number;
  cancelled: number;
}

export interface BatchOptions {
  jobs: number;
  force: boolean;
  json: boolean;
  signal: AbortSignal;
}

/** Paths as the user would type them: relative to the working folder when inside it. */
export function shown(path: string): string {
  const rel = relative(process.cwd(), path);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : path;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}

/** Written under a temporary name, then renamed: an interrupted run never leaves half a file that a later run would skip. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temporary = `${path}.${randomBytes(4).toString('hex')}.part`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

interface Reporter {
  started(job: Job): void;
  finished(result: FileResult, done: number, total: number): void;
  stop(): void;
}

function lineFor(result: FileResult, done: number, total: number): string {
  const counter = `[${String(done).padStart(String(total).length)}/${total}]`;
  switch (result.status) {
    case 'written':
      return `${counter} ok       ${shown(result.input)} -> ${shown(result.output)}${result.mask ? ` + ${shown(result.mask)}` : ''} (${result.seconds?.toFixed(1)} s)`;
    case 'skipped':
      return `${counter} skipped  ${shown(result.input)}: ${shown(result.output)} exists (--force to make it again)`;
    case 'failed':
      return `${counter} FAILED   ${shown(result.input)}: ${result.error}`;
    case 'cancelled':
      return `${counter} cancelled ${shown(result.input)}`;
  }
}

/** A line per file, on stdout (stderr with --json, so that stdout holds only the JSON). */
function lineReporter(json: boolean): Reporter {
  const stream = json ? process.stderr : process.stdout;
  return {
    started: () => undefined,
    finished: (result, done, total) => stream.write(`${lineFor(result, done, total)}\n`),
    stop: () => undefined,
  };
}

/** One bar over the batch on a terminal, with failures printed above it as they happen. */
function barReporter(total: number): Reporter {
  const bars = new cliProgress.MultiBar(
    {
      stream: process.stderr,
      format: ' {bar} {value}/{total} files | {failed} failed | eta {eta_formatted} | {file}',
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 4,
    },
    cliProgress.Presets.shades_classic,
  );
  const bar = bars.create(total, 0, { file: '', failed: 0 });
  let failed = 0;
  const running = new Set<string>();
  return {
    started: (job) => {
      running.add(job.input);
      bar.update({ file: shown(job.input) });
    },
    finished: (result, done) => {
      running.delete(result.input);
      if (result.status === 'failed') {
        failed++;
        bars.log(`FAILED ${shown(result.input)}: ${result.error}\n`);
      }
      bar.update(done, { failed, file: running.size > 0 ? shown([...running][0]!) : '' });
    },
    // cli-progress prints logged lines at its next redraw; force one so that a failure logged just
    // before the end is not lost when the bar stops.
    stop: () => {
      bars.update();
      bars.stop();
    },
  };
}

export async function runBatch(
  jobs: Job[],
  produce: Producer,
  options: BatchOptions,
): Promise<{ results: FileResult[]; summary: BatchSummary }> {
  const results: FileResult[] = new Array(jobs.length);
  const reporter = process.stderr.isTTY && !options.json ? barReporter(jobs.length) : lineReporter(options.json);
  let next = 0;
  let done = 0;

  const runOne = async (job: Job): Promise<FileResult> => {
    // Skipped only when nothing asked for is missing: a later run with --mask-out makes the masks.
    if (!options.force && (await exists(job.output)) && (job.mask === undefined || (await exists(job.mask))))
      return { ...job, status: 'skipped' };
    if (options.signal.aborted) return { ...job, status: 'cancelled' };
    const started = performance.now();
    try {
      const { bytes, mask, taskId, mesh } = await produce(job.input, options.signal);
      if (job.mask !== undefined && mask === undefined) throw new Error('no mask came with the result');
      // The mask first: the output's presence is what marks a job done.
      if (job.mask !== undefined) await writeAtomically(job.mask, mask!);
      await writeAtomically(job.output, bytes);
      const seconds = Math.round((performance.now() - started) / 100) / 10;
      return { ...job, status: 'written', bytes: bytes.length, seconds, ...(taskId ? { task_id: taskId } : {}), ...(mesh ? { mesh } : {}) };
    } catch (error) {
      if (options.signal.aborted) return { ...job, status: 'cancelled' };
      return { ...job, status: 'failed', error: messageOf(error) };
    }
  };

  const worker = async () => {
    while (next < jobs.length) {
      const index = next++;
      const job = jobs[index]!;
      reporter.started(job);
      const result = await runOne(job);
      results[index] = result;
      reporter.finished(result, ++done, jobs.length);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, Math.min(options.jobs, jobs.length)) }, worker));
  } finally {
    reporter.stop();
  }

  const count = (status: FileStatus) => results.filter((result) => result.status === status).length;
  const summary = {
    total: jobs.length,
    written: count('written'),
    skipped: count('skipped'),
    failed: count('failed'),
    cancelled: count('cancelled'),
  };
  return { results, summary };
}

/** The human summary: counts, then each failure with its reason. */
export function summaryText(results: FileResult[], summary: BatchSummary, seconds: number): string {
  const parts = [`${summary.written} written`, `${summary.skipped} skipped`, `${summary.failed} failed`];
  if (summary.cancelled > 0) parts.push(`${summary.cancelled} cancelled`);
  const lines = [`${parts.join(', ')} (${summary.total} file${summary.total === 1 ? '' : 's'} in ${seconds.toFixed(1)} s)`];
  for (const result of results) if (result.status === 'failed') lines.push(`  failed: ${shown(result.input)}: ${result.error}`);
  // Several pieces print as they are, each on the bed; a maker arranging a plate wants to know.
  for (const result of results) {
    if (result.mesh && result.mesh.shells > 1)
      lines.push(
        `  ${shown(result.output)}: ${result.mesh.shells} separate parts (a cut-out's pieces, or a colour lithophane's filaments)`,
      );
  }
  if (summary.skipped > 0) lines.push('  skipped files already had an output: pass --force to make them again');
  return lines.join('\n');
}
