// `depthmill generate <files|folders|globs>`: photos in, depth maps or reliefs out, on this machine
// (the same renderOutput as the server's workers, no server needed) or through a server (--server,
// by the SDK). The options are create-task's fields, validated and defaulted by the API's own schema.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { createTaskFields, toTaskParams } from '../api/create-task-schema.js';
import { DepthmillClient } from '../client/index.js';
import { loadConfig } from '../config.js';
import { OUTPUT_FORMATS, type OutputFormat, type TaskParams } from '../tasks/task.js';
import { runBatch, shown, summaryText, type Job, type Producer } from './generate-batch.js';
import { expandInputs } from './inputs.js';

/** The API's formats (OUTPUT_FORMATS), depth maps first. */
const FORMATS: OutputFormat[] = ['exr', 'png', 'bmp', 'stl', 'glb', '3mf'];
const MESH_FORMATS = new Set<OutputFormat>(['stl', 'glb', '3mf']);

interface GenerateOptions {
  format?: OutputFormat;
  output?: string;
  outDir?: string;
  modelType?: 'pro' | 'base';
  rmbg?: boolean;
  degreeRmbg?: string;
  heightRelief?: string;
  width?: string;
  shapeBase?: 'square' | 'circle';
  thicknessBase?: string;
  sculpmode?: 'emboss' | 'engrave';
  force?: boolean;
  jobs?: string;
  server?: string;
  clientId?: string;
  clientSecret?: string;
  json?: boolean;
}

/** The CLI flag of each create-task field the command sets. */
const FLAG_OF: Record<string, string> = {
  format: '--format',
  model_type: '--model-type',
  rmbg: '--rmbg',
  degree_rmbg: '--degree-rmbg',
  height_relief: '--height-relief',
  width: '--width',
  shape_base: '--shape-base',
  thickness_base: '--thickness-base',
  sculpmode: '--sculpmode',
};

/** "(0.1 to 50, default 1.3)", from the API's schema, so the help cannot drift from what is accepted. */
function rangeOf(field: string): string {
  const schema = z.toJSONSchema(createTaskFields, { io: 'output', unrepresentable: 'any' }) as { properties: Record<string, { minimum?: number; maximum?: number; default?: unknown }> };
  const property = schema.properties[field];
  if (!property) return '';
  const range = property.minimum !== undefined ? `${property.minimum} to ${property.maximum}` : '';
  const fallback = property.default !== undefined ? `default ${String(property.default)}` : '';
  return ` (${[range, fallback].filter(Boolean).join(', ')})`;
}

/** The options as create-task fields, validated and defaulted exactly as the API does it. */
function taskParamsOf(options: GenerateOptions, format: OutputFormat): TaskParams {
  const code = Object.entries(OUTPUT_FORMATS).find(([, name]) => name === format)![0];
  const fields: Record<string, string> = { format: code };
  if (options.modelType !== undefined) fields.model_type = options.modelType;
  if (options.rmbg !== undefined) fields.rmbg = options.rmbg ? '1' : '0';
  if (options.degreeRmbg !== undefined) fields.degree_rmbg = options.degreeRmbg;
  if (options.heightRelief !== undefined) fields.height_relief = options.heightRelief;
  if (options.width !== undefined) fields.width = options.width;
  if (options.shapeBase !== undefined) fields.shape_base = options.shapeBase === 'circle' ? '1' : '0';
  if (options.thicknessBase !== undefined) fields.thickness_base = options.thicknessBase;
  if (options.sculpmode !== undefined) fields.sculpmode = options.sculpmode === 'engrave' ? '1' : '0';
  const parsed = createTaskFields.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    throw new Error(`${FLAG_OF[field] ?? field} ${issue.message}${fields[field] === undefined ? '' : ` (got "${fields[field]}")`}`);
  }
  return toTaskParams(parsed.data);
}

/** `cat.jpg` -> `cat.depth.png` (depth maps) or `cat.stl` (reliefs). */
function outputName(input: string, format: OutputFormat): string {
  const stem = basename(input, extname(input));
  return MESH_FORMATS.has(format) ? `${stem}.${format}` : `${stem}.depth.${format}`;
}

function formatOfPath(path: string): OutputFormat | undefined {
  const extension = extname(path).slice(1).toLowerCase();
  return FORMATS.find((format) => format === extension);
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

/** Where each input's output goes; refuses two inputs that would write the same file. */
async function planJobs(files: string[], format: OutputFormat, options: GenerateOptions): Promise<Job[]> {
  if (options.output !== undefined && options.outDir !== undefined) throw new Error('use either -o/--output or --out-dir, not both');
  let outFile: string | undefined;
  let outDir = options.outDir === undefined ? undefined : resolve(options.outDir);
  if (options.output !== undefined) {
    const path = resolve(options.output);
    const looksLikeDir = options.output.endsWith('/') || options.output.endsWith(sep) || (await isDirectory(path));
    if (files.length === 1 && !looksLikeDir) outFile = path;
    else outDir = path;
  }
  const jobs = files.map((input) => ({ input, output: outFile ?? join(outDir ?? dirname(input), outputName(input, format)) }));
  const byOutput = new Map<string, string>();
  for (const job of jobs) {
    const other = byOutput.get(job.output);
    if (other !== undefined) throw new Error(`${shown(other)} and ${shown(job.input)} would both be written to ${shown(job.output)}: run them separately or give each its own --out-dir`);
    if (files.includes(job.output)) throw new Error(`${shown(job.output)} is an input: choose another -o`);
    byOutput.set(job.output, job.input);
  }
  return jobs;
}

/** Renders on this machine with the configured models (DEPTHMILL_MODELS, DEPTHMILL_MODEL_*). */
async function localProducer(params: TaskParams): Promise<Producer> {
  // Loaded here, not at start-up: the other commands should not pay for ONNX Runtime.
  const [{ renderOutput }, { sharedSessions, modelCacheDir }] = await Promise.all([import('../render.js'), import('../pipeline/index.js')]);
  const config = loadConfig();
  const sessions = sharedSessions({
    modelDir: config.modelsDir ?? modelCacheDir(),
    depthModels: { base: config.models.base, pro: config.models.pro },
    maskModel: config.models.mask,
  });
  // A missing or damaged model fails the command once, saying what to run, rather than every file.
  await sessions.depth(params.modelType);
  if (params.rmbg) await sessions.mask();
  return async (input) => ({ bytes: (await renderOutput(await readFile(input), params, sessions)).bytes });
}

/** Sends each photo to a Depthmill server through the SDK, waits, downloads. */
async function serverProducer(params: TaskParams, options: GenerateOptions): Promise<Producer> {
  const clientId = options.clientId ?? process.env.DEPTHMILL_CLIENT_ID;
  const clientSecret = options.clientSecret ?? process.env.DEPTHMILL_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new Error('--server needs client credentials: set DEPTHMILL_CLIENT_ID and DEPTHMILL_CLIENT_SECRET (or pass --client-id and --client-secret); the operator creates them with `depthmill clients create <name>`');
  }
  let baseUrl: URL;
  try {
    baseUrl = new URL(options.server!);
  } catch {
    throw new Error(`--server must be the server's URL, like http://127.0.0.1:8080 (got "${options.server}")`);
  }
  const client = new DepthmillClient({ baseUrl: baseUrl.href, clientId, clientSecret });
  await client.accessToken(); // wrong credentials or an unreachable server: one clear error, not one per file
  const { modelType, rmbg, degreeRmbg, format, heightRelief, width, shapeBase, thicknessBase, sculpmode } = params;
  const taskOptions = { modelType, rmbg, degreeRmbg, format, heightRelief, width, shapeBase, thicknessBase, sculpmode };
  return async (input, signal) => {
    const taskId = await client.createTask({ file: await readFile(input), filename: basename(input), ...taskOptions }, { signal });
    const task = await client.waitForTask(taskId, { signal, intervalMs: 1000 });
    return { bytes: await client.download(task, { signal }), taskId };
  };
}

async function generate(inputs: string[], options: GenerateOptions): Promise<void> {
  const format = options.format ?? (options.output !== undefined ? formatOfPath(options.output) : undefined) ?? 'png';
  if (options.format !== undefined && options.output !== undefined) {
    const named = formatOfPath(options.output);
    if (named !== undefined && named !== options.format) throw new Error(`-o ${options.output} ends in .${named} but --format is ${options.format}: make them agree`);
  }
  const params = taskParamsOf(options, format);
  const jobsAtOnce = Number(options.jobs ?? (options.server ? 4 : 1));
  if (!Number.isInteger(jobsAtOnce) || jobsAtOnce < 1 || jobsAtOnce > 10) throw new Error(`--jobs must be a whole number from 1 to 10 (got "${options.jobs}")`);

  const { files, problems } = await expandInputs(inputs);
  for (const problem of problems) console.error(`depthmill: ${problem}`);
  if (files.length === 0) throw new Error('nothing to do: no photos found (give files, folders or quoted patterns like "photos/*.jpg")');
  const jobs = await planJobs(files, format, options);

  const produce = options.server ? await serverProducer(params, options) : await localProducer(params);

  // Ctrl-C: finish what is running, start nothing new, report; a second Ctrl-C stops at once.
  const controller = new AbortController();
  const onSigint = () => {
    if (controller.signal.aborted) process.exit(130);
    console.error('\ndepthmill: stopping after the files in progress (Ctrl-C again to quit now)');
    controller.abort();
  };
  process.on('SIGINT', onSigint);
  const started = performance.now();
  const { results, summary } = await runBatch(jobs, produce, {
    jobs: jobsAtOnce,
    force: options.force ?? false,
    json: options.json ?? false,
    signal: controller.signal,
  }).finally(() => process.off('SIGINT', onSigint));
  const seconds = (performance.now() - started) / 1000;

  if (options.json) {
    const where = options.server ? { server: options.server } : { local: true };
    console.log(JSON.stringify({ format, ...where, summary, files: results }));
  } else {
    console.log(summaryText(results, summary, seconds));
  }
  if (summary.failed > 0 || problems.length > 0) process.exitCode = 1;
  if (summary.cancelled > 0) process.exitCode = 130;
}

export function registerGenerateCommand(program: Command): void {
  program
    .command('generate')
    .alias('gen')
    .description('make depth maps or printable reliefs from photos, on this machine (no server needed) or through a server (--server)')
    .argument('<inputs...>', 'photos: files, folders (their png, jpeg and webp files) or quoted patterns like "shoots/**/*.jpg"')
    .addOption(new Option('-f, --format <format>', 'what to make: exr, png, bmp (depth maps) or stl, glb, 3mf (reliefs); default: from -o, else png').choices(FORMATS))
    .option('-o, --output <path>', 'the output file (one input) or folder; default: beside each photo, as NAME.depth.png or NAME.stl')
    .option('--out-dir <dir>', 'write every output into this folder (created if needed)')
    .addOption(new Option('--model-type <type>', 'pro: long side 2048 px; base: 1024 px (default pro)').choices(['pro', 'base']))
    .option('--rmbg', 'remove the background (the default): depth 0 and transparent there')
    .option('--no-rmbg', 'keep the background')
    .option('--degree-rmbg <n>', `how much background to remove: higher removes more${rangeOf('degree_rmbg')}`)
    .option('--height-relief <mm>', `relief height, meshes only${rangeOf('height_relief')}`)
    .option('--width <mm>', `physical width of the relief, meshes only${rangeOf('width')}`)
    .addOption(new Option('--shape-base <shape>', 'base plate shape, meshes only (default square)').choices(['square', 'circle']))
    .option('--thickness-base <mm>', `base plate thickness, meshes only${rangeOf('thickness_base')}`)
    .addOption(new Option('--sculpmode <mode>', 'emboss: near parts stand out; engrave: near parts are cut in (default emboss)').choices(['emboss', 'engrave']))
    .option('--force', 'make outputs again even when they exist (default: skip them)')
    .option('-j, --jobs <n>', 'files processed at once (default 1 locally, 4 with --server)')
    .option('--server <url>', 'process on this Depthmill server instead of locally (env DEPTHMILL_SERVER)', process.env.DEPTHMILL_SERVER || undefined)
    .option('--client-id <id>', 'client id for --server (env DEPTHMILL_CLIENT_ID)')
    .option('--client-secret <secret>', 'client secret for --server (env DEPTHMILL_CLIENT_SECRET, safer than the command line)')
    .option('--json', 'print one JSON object at the end (progress lines go to stderr)')
    .addHelpText(
      'after',
      `
Examples:
  depthmill generate photos/ -f stl --out-dir reliefs/      every photo in photos/ as an STL relief
  depthmill generate cat.jpg -o cat.exr --no-rmbg            one depth map, background kept
  depthmill generate "shoots/**/*.jpg" -f png --server http://depth.example:8080

Outputs that exist are skipped (--force makes them again); a file that fails does not stop the
others; the exit status is 1 when any failed. Local mode uses the models of \`depthmill models list\`.`,
    )
    .action(generate);
}
