// `depthmill generate <files|folders|globs>`: photos in, depth maps or reliefs out, on this machine
// (the same renderOutput as the server's workers, no server needed) or through a server (--server,
// by the SDK). The options are create-task's fields, validated and defaulted by the API's own schema.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { Command, Option } from 'commander';
import { z } from 'zod';
import { createTaskFields, toTaskParams } from '../contract/create-task-schema.js';
import { DepthmillClient } from '../client/index.js';
import { taskFields, taskOptionsOf } from '../contract/task-fields.js';
import { loadConfig } from '../config.js';
import { DEPTH_FORMATS, FORMATS_BY_KIND, isMeshFormat, MESH_FORMATS } from '../contract/formats.js';
import type { OutputFormat, TaskParams } from '../contract/task.js';
import { runBatch, shown, summaryText, type Job, type Producer } from './generate-batch.js';
import { expandInputs } from './inputs.js';


export interface GenerateOptions {
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
  reliefStyle?: 'detailed' | 'smooth';
  detailHeight?: string;
  reliefDetail?: string;
  reliefSmooth?: string;
  minFeature?: string;
  reliefMode?: 'relief' | 'lithophane';
  lithoMin?: string;
  lithoMax?: string;
  lithoFrame?: string;
  subjectBox?: string;
  mask?: string;
  maskOut?: string;
  force?: boolean;
  jobs?: string;
  server?: string;
  clientId?: string;
  clientSecret?: string;
  json?: boolean;
}

/** The command's flag for a create-task field: its options are named after the SDK's (subject_box -> --subject-box). */
function flagOf(field: string): string {
  return `--${field.replaceAll('_', '-')}`;
}

/** "(0.1 to 50, default 1.3)", from the API's schema, so the help cannot drift from what is accepted. */
function rangeOf(field: string): string {
  const schema = z.toJSONSchema(createTaskFields, { io: 'output', unrepresentable: 'any' }) as { properties: Record<string, { minimum?: number; maximum?: number; default?: unknown }> };
  const property = schema.properties[field];
  if (!property) return '';
  const range = property.minimum !== undefined ? `${property.minimum} to ${property.maximum}` : '';
  const fallback = property.default !== undefined ? `default ${String(property.default)}` : '';
  return ` (${[range, fallback].filter(Boolean).join(', ')})`;
}

/**
 * The options as create-task fields (the SDK's one mapping, with the text as typed), validated and
 * defaulted exactly as the API does it.
 */
export function taskParamsOf(options: Partial<GenerateOptions>, format: OutputFormat): TaskParams {
  const fields = taskFields({ ...options, format });
  const parsed = createTaskFields.safeParse(fields);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0]);
    throw new Error(`${flagOf(field)} ${issue.message}${fields[field] === undefined ? '' : ` (got "${fields[field]}")`}`);
  }
  return toTaskParams(parsed.data);
}

/** `cat.jpg` -> `cat.depth.png` (depth maps) or `cat.stl` (reliefs). */
function outputName(input: string, format: OutputFormat): string {
  const stem = basename(input, extname(input));
  return isMeshFormat(format) ? `${stem}.${format}` : `${stem}.depth.${format}`;
}

/** `cat.jpg` -> `cat.mask.png`, what --mask-out DIR holds. */
function maskName(input: string): string {
  return `${basename(input, extname(input))}.mask.png`;
}

/** A path the user means as a folder: one that ends in a separator, or an existing folder. */
async function looksLikeDirectory(given: string): Promise<boolean> {
  return given.endsWith('/') || given.endsWith(sep) || (await isDirectory(resolve(given)));
}

function formatOfPath(path: string): OutputFormat | undefined {
  const extension = extname(path).slice(1).toLowerCase();
  return FORMATS_BY_KIND.find((format) => format === extension);
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
    const folder = await looksLikeDirectory(options.output);
    const extension = extname(options.output).slice(1).toLowerCase();
    if (!folder && extension !== '') {
      // A file name: it must name the format written, and there must be one photo to write to it.
      if (extension !== format) throw new Error(`-o ${options.output}: a ${format} file is written, so name it ${basename(options.output, extname(options.output))}.${format} (or choose --format)`);
      if (files.length > 1) throw new Error(`-o ${options.output} names one file, but ${files.length} photos were given: give a folder (-o out/) or --out-dir`);
    }
    if (files.length === 1 && !folder) outFile = path;
    else outDir = path;
  }
  // --mask-out: a file for one photo, a folder (NAME.mask.png each) for a batch.
  let maskFile: string | undefined;
  let maskDir: string | undefined;
  if (options.maskOut !== undefined) {
    const path = resolve(options.maskOut);
    if (files.length === 1 && !(await looksLikeDirectory(options.maskOut))) maskFile = path;
    else if ((await stat(path).catch(() => undefined))?.isFile()) throw new Error(`--mask-out ${options.maskOut} is a file, but ${files.length} photos need a folder for their masks`);
    else maskDir = path;
  }
  const jobs: Job[] = files.map((input) => ({
    input,
    output: outFile ?? join(outDir ?? dirname(input), outputName(input, format)),
    ...(maskFile || maskDir ? { mask: maskFile ?? join(maskDir!, maskName(input)) } : {}),
  }));
  const byOutput = new Map<string, string>();
  for (const job of jobs) {
    for (const output of job.mask === undefined ? [job.output] : [job.output, job.mask]) {
      const other = byOutput.get(output);
      if (other !== undefined) throw new Error(`${shown(other)} and ${shown(job.input)} would both be written to ${shown(output)}: run them separately or give each its own --out-dir`);
      if (files.includes(output)) throw new Error(`${shown(output)} is an input: choose another ${output === job.output ? '-o' : '--mask-out'}`);
      byOutput.set(output, job.input);
    }
  }
  return jobs;
}

/** What the user said about the background removal beyond the task's fields. */
interface MaskChoices {
  /** The bytes of --mask FILE (the batch has one photo then). */
  userMask?: Uint8Array;
  /** --mask-out: the producer returns the mask the pipeline used. */
  maskOut: boolean;
}

/** Renders on this machine with the configured models (DEPTHMILL_MODELS, DEPTHMILL_MODEL_*). */
async function localProducer(params: TaskParams, { userMask, maskOut }: MaskChoices): Promise<Producer> {
  // Loaded here, not at start-up: the other commands should not pay for ONNX Runtime.
  const [{ renderOutput }, { sharedSessions, modelCacheDir }] = await Promise.all([import('../render.js'), import('../pipeline/index.js')]);
  const config = loadConfig();
  const sessions = sharedSessions({
    modelDir: config.modelsDir ?? modelCacheDir(),
    depthModels: { base: config.models.base, pro: config.models.pro },
    maskModel: config.models.mask,
  });
  // A missing or damaged model fails the command once, saying what to run, rather than every file.
  // A lithophane runs no model.
  if (params.reliefMode !== 'lithophane') {
    await sessions.depth(params.modelType);
    if (params.rmbg && !userMask) await sessions.mask();
  }
  return async (input) => {
    const output = await renderOutput(await readFile(input), params, sessions, { ...(userMask ? { userMask } : {}), maskPng: maskOut, maxMeshTriangles: config.maxMeshTriangles });
    return { bytes: output.bytes, ...(output.maskPng ? { mask: output.maskPng } : {}), ...(output.mesh ? { mesh: output.mesh } : {}) };
  };
}

/** Sends each photo to a Depthmill server through the SDK, waits, downloads. */
async function serverProducer(params: TaskParams, options: GenerateOptions, { userMask, maskOut }: MaskChoices): Promise<Producer> {
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
  const { format } = params;
  const taskOptions = taskOptionsOf(params);
  const { maskOfDepthPng } = maskOut ? await import('./mask-out.js') : { maskOfDepthPng: undefined };
  return async (input, signal) => {
    const photo = await readFile(input);
    const run = async (as: OutputFormat) => {
      const file = { file: photo, filename: basename(input), ...(userMask ? { mask: userMask, maskFilename: basename(options.mask!) } : {}) };
      const taskId = await client.createTask({ ...file, ...taskOptions, format: as }, { signal });
      const task = await client.waitForTask(taskId, { signal, intervalMs: 1000 });
      return { bytes: await client.download(task, { signal }), taskId, ...(task.mesh ? { mesh: task.mesh } : {}) };
    };
    if (!maskOfDepthPng) return run(format);
    // The mask is the PNG depth map's alpha; for another format the server makes that PNG as a
    // second task from the same photo and options (the web UI does the same for its downloads).
    const [result, png] = await Promise.all([run(format), format === 'png' ? undefined : run('png')]);
    return { ...result, mask: await maskOfDepthPng((png ?? result).bytes) };
  };
}

async function generate(inputs: string[], options: GenerateOptions): Promise<void> {
  const format = options.format ?? (options.output !== undefined ? formatOfPath(options.output) : undefined) ?? 'png';
  if (options.format !== undefined && options.output !== undefined) {
    const named = formatOfPath(options.output);
    if (named !== undefined && named !== options.format) throw new Error(`-o ${options.output} ends in .${named} but --format is ${options.format}: make them agree`);
  }
  const params = taskParamsOf(options, format);
  if (params.reliefMode === 'lithophane') {
    // A lithophane is the whole photo: no background removal for a mask to change or show.
    if (options.mask !== undefined) throw new Error('--mask does not apply to --relief-mode lithophane (it is always the whole photo)');
    if (options.maskOut !== undefined) throw new Error('--mask-out does not apply to --relief-mode lithophane (no background is removed)');
  } else if (!params.rmbg) {
    if (options.mask !== undefined) throw new Error('--mask only applies when the background is removed: drop --no-rmbg');
    if (options.maskOut !== undefined) throw new Error('--mask-out writes the background mask, and --no-rmbg keeps the background: drop one of them');
  }
  const jobsAtOnce = Number(options.jobs ?? (options.server ? 4 : 1));
  if (!Number.isInteger(jobsAtOnce) || jobsAtOnce < 1 || jobsAtOnce > 10) throw new Error(`--jobs must be a whole number from 1 to 10 (got "${options.jobs}")`);

  const { files, problems } = await expandInputs(inputs);
  for (const problem of problems) console.error(`depthmill: ${problem}`);
  if (files.length === 0) throw new Error('nothing to do: no photos found (give files, folders or quoted patterns like "photos/*.jpg")');
  if (options.mask !== undefined && files.length > 1) {
    throw new Error(`--mask is the mask of one photo, and ${files.length} photos were given: run each photo with its own --mask`);
  }
  const jobs = await planJobs(files, format, options);
  const userMask = options.mask === undefined ? undefined : await readFile(resolve(options.mask)).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`--mask ${options.mask}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });
  const choices: MaskChoices = { ...(userMask ? { userMask } : {}), maskOut: options.maskOut !== undefined };

  const produce = options.server ? await serverProducer(params, options, choices) : await localProducer(params, choices);

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

/**
 * The relief's flags, shared by generate and relief: each a create-task field (--height-relief is
 * height_relief), its range and default read from the API's schema. `scope` ends each description.
 */
export function addReliefOptions(command: Command, scope: string): Command {
  return command
    .option('--height-relief <mm>', `relief height${scope}${rangeOf('height_relief')}`)
    .option('--width <mm>', `physical width of the relief${scope}${rangeOf('width')}`)
    .addOption(new Option('--shape-base <shape>', `base plate shape${scope} (default square)`).choices(['square', 'circle']))
    .option('--thickness-base <mm>', `base plate thickness${scope}${rangeOf('thickness_base')}`)
    .addOption(new Option('--sculpmode <mode>', `emboss: near parts stand out; engrave: near parts are cut in${scope} (default emboss)`).choices(['emboss', 'engrave']))
    .option('--relief-detail <n>', `how much the relief is shaped to read at a few mm: 0 the depth as it is, higher flattens big steps and raises small shape${scope}${rangeOf('relief_detail')}`)
    .option('--relief-smooth <mm>', `shape finer than this is smoothed away as photo texture${scope}${rangeOf('relief_smooth')}`)
    .option('--min-feature <mm>', `narrower parts and smaller pieces of a cut-out are dropped${scope}${rangeOf('min_feature')}`);
}

/** The lithophane's flags (generate only: a lithophane is made from a photo, not a depth map). */
export function addLithophaneOptions(command: Command): Command {
  return command
    .addOption(new Option('--relief-mode <mode>', 'relief: the depth relief; lithophane: a back-lit plate whose thickness follows the photo\'s lightness (dark = thick), no model, ignores rmbg and the relief\'s height, base and sculpmode (default relief)').choices(['relief', 'lithophane']))
    .option('--litho-min <mm>', `lithophane thickness at the lightest${rangeOf('litho_min')}`)
    .option('--litho-max <mm>', `lithophane thickness at the darkest and of the frame, more than --litho-min${rangeOf('litho_max')}`)
    .option('--litho-frame <mm>', `full-thickness border around the lithophane, 0 none${rangeOf('litho_frame')}`);
}

export function registerGenerateCommand(program: Command): void {
  const command = program
    .command('generate')
    .alias('gen')
    .description('make depth maps or printable reliefs from photos, on this machine (no server needed) or through a server (--server)')
    .argument('<inputs...>', 'photos: files, folders (their png, jpeg and webp files) or quoted patterns like "shoots/**/*.jpg"')
    .addOption(new Option('-f, --format <format>', `what to make: ${DEPTH_FORMATS.join(', ')} (depth maps) or ${MESH_FORMATS.join(', ')} (reliefs); default: from -o, else png`).choices(FORMATS_BY_KIND))
    .option('-o, --output <path>', 'the output file (one input) or folder; default: beside each photo, as NAME.depth.png or NAME.stl')
    .option('--out-dir <dir>', 'write every output into this folder (created if needed)')
    .addOption(new Option('--model-type <type>', 'pro: long side 2048 px; base: 1024 px (default pro)').choices(['pro', 'base']))
    .option('--rmbg', 'remove the background (the default): depth 0 and transparent there')
    .option('--no-rmbg', 'keep the background')
    .option('--degree-rmbg <n>', `how much background to remove: higher removes more${rangeOf('degree_rmbg')}`);
  addLithophaneOptions(addReliefOptions(command, ', meshes only'))
    .addOption(new Option('--relief-style <style>', 'detailed: the photo\'s own detail (eyes, fur, patterns, lettering) carved over the depth\'s volume; smooth: the depth alone, meshes only (default detailed)').choices(['detailed', 'smooth']))
    .option('--detail-height <mm>', `how deep the photo's detail is carved in the detailed style, meshes only${rangeOf('detail_height')}`)
    .option('--subject-box <box>', 'where the subject is, "x0,y0,x1,y1" as shares 0..1 of the width and height (left, top, right, bottom): the background removal keeps to this box')
    .option('--mask <file>', 'your own background mask for the (one) photo, replacing the model\'s: its alpha, else its grey (white = keep), any resolution of the same photo')
    .option('--mask-out <path>', 'also write the mask the background removal used (8-bit grey PNG at the output size): a file for one photo, a folder (NAME.mask.png) for several')
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
  depthmill generate cat.jpg -o cat.stl --mask-out cat.mask.png   the relief, and the mask it was cut with
  depthmill generate cat.jpg -o cat.stl --mask cat.mask.png       again, cut with the mask as you corrected it

Outputs that exist are skipped (--force makes them again); a file that fails does not stop the
others; the exit status is 1 when any failed. Local mode uses the models of \`depthmill models list\`.
With --server, --mask-out of a format other than png costs a second task: the PNG whose alpha is the mask.`,
    )
    .action(generate);
}
