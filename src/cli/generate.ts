// `depthmill generate <files|folders|globs>`: photos in, depth maps or reliefs out, on this machine
// (the same renderOutput as the server's workers, no server needed) or through a server (--server,
// by the SDK). The options are create-task's fields, validated and defaulted by the API's own schema.
import { readFile, stat } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve, sep } from 'node:path';
import { Command, Option } from 'commander';
import { createTaskFields, toTaskParams } from '../contract/create-task-schema.js';
import { DepthmillClient } from '@depthmill/client';
import {
  choiceValues,
  DEPTH_FORMATS,
  fieldNamed,
  type FieldRow,
  formatExtension,
  FORMATS_BY_KIND,
  isMeshFormat,
  MESH_FORMATS,
  PARAM_FIELDS,
  type ParamRow,
  taskFields,
  type TaskFieldValues,
  taskOptionsOf,
} from '@depthmill/client/contract';
import { taskKind } from '../contract/task-kind.js';
import { loadConfig } from '../config.js';
import type { OutputFormat, TaskParams } from '../contract/task.js';
import { runBatch, shown, summaryText, type Job, type Producer } from './generate-batch.js';
import { expandInputs } from './inputs.js';

/** The command's own options, and the table's fields (contract/fields.ts) as commander gives them. */
export interface GenerateOptions extends Partial<TaskFieldValues> {
  format?: OutputFormat;
  output?: string;
  outDir?: string;
  mask?: string;
  maskOut?: string;
  force?: boolean;
  jobs?: string;
  server?: string;
  clientId?: string;
  clientSecret?: string;
  json?: boolean;
}

/** The fields that are flags of `depthmill relief` too (a relief from a depth map). */
type ReliefRow = Extract<ParamRow, { cli: { relief: unknown } }>;
export type ReliefFieldOptions = Partial<Pick<TaskFieldValues, ReliefRow['param']>>;

/** The command's flag for a create-task field: the table's, else its name with dashes. */
function flagOf(field: string): string {
  const row: FieldRow | undefined = fieldNamed(field);
  return row?.cli?.flag.split(' ')[0] ?? `--${field.replaceAll('_', '-')}`;
}

/** "(0.1 to 50, default 1.3)", "(default square)": from the field's row, so the help cannot drift from what is accepted. */
function rangeOf(row: FieldRow): string {
  const range = row.type.kind === 'decimal' ? `${row.type.min} to ${row.type.max}` : '';
  const fallback = row.default !== undefined ? `default ${String(row.default)}` : '';
  return range || fallback ? ` (${[range, fallback].filter(Boolean).join(', ')})` : '';
}

/**
 * The flags of the table's fields (contract/fields.ts), in its order: each field's flag and help,
 * its range and default from its row, a choice's values as the flag's choices, a yes/no field as
 * `--x` and `--no-x`. For `depthmill relief`, the fields it takes, in its words.
 */
export function addFieldOptions(command: Command, rows: readonly FieldRow[], forRelief = false): Command {
  for (const row of rows) {
    const flag = row.cli;
    if (!flag || (forRelief && !flag.relief)) continue;
    const words =
      forRelief && typeof flag.relief === 'object'
        ? flag.relief
        : { help: forRelief ? flag.help.replace(/, meshes only$/, '') : flag.help, negated: flag.negated };
    const values = row.type.kind === 'choice' ? choiceValues(row.type).map(([, value]) => value) : [];
    if (values.every((value) => typeof value === 'boolean') && values.length > 0) {
      command.option(flag.flag, words.help).option(flag.flag.replace(/^--/, '--no-'), words.negated);
      continue;
    }
    const option = new Option(flag.flag, `${words.help}${rangeOf(row)}`);
    command.addOption(values.length > 0 ? option.choices(values as string[]) : option);
  }
  return command;
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

/** `cat.jpg` -> `cat.depth.png` (depth maps), `cat.normal.png` (normal maps) or `cat.stl` (reliefs). */
function outputName(input: string, format: OutputFormat): string {
  const stem = basename(input, extname(input));
  if (isMeshFormat(format)) return `${stem}.${format}`;
  const extension = formatExtension(format);
  return extension === format ? `${stem}.depth.${format}` : `${stem}.${format}.${extension}`;
}

/** `cat.jpg` -> `cat.mask.png`, what --mask-out DIR holds. */
function maskName(input: string): string {
  return `${basename(input, extname(input))}.mask.png`;
}

/** A path the user means as a folder: one that ends in a separator, or an existing folder. */
async function looksLikeDirectory(given: string): Promise<boolean> {
  return given.endsWith('/') || given.endsWith(sep) || (await isDirectory(resolve(given)));
}

/** The format a file name asks for: `.normal.png` a normal map, else its extension's format. */
function formatOfPath(path: string): OutputFormat | undefined {
  const name = basename(path).toLowerCase();
  const extension = extname(name).slice(1);
  const nameOf = (format: OutputFormat) => (formatExtension(format) === format ? format : `${format}.${formatExtension(format)}`);
  return (
    FORMATS_BY_KIND.find((format) => format !== extension && name.endsWith(`.${nameOf(format)}`)) ??
    FORMATS_BY_KIND.find((format) => format === extension)
  );
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
      if (extension !== formatExtension(format))
        throw new Error(
          `-o ${options.output}: a ${format} file is written, so name it ${basename(options.output, extname(options.output))}.${formatExtension(format)} (or choose --format)`,
        );
      if (files.length > 1)
        throw new Error(`-o ${options.output} names one file, but ${files.length} photos were given: give a folder (-o out/) or --out-dir`);
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
    else if ((await stat(path).catch(() => undefined))?.isFile())
      throw new Error(`--mask-out ${options.maskOut} is a file, but ${files.length} photos need a folder for their masks`);
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
      if (other !== undefined)
        throw new Error(
          `${shown(other)} and ${shown(job.input)} would both be written to ${shown(output)}: run them separately or give each its own --out-dir`,
        );
      if (files.includes(output))
        throw new Error(`${shown(output)} is an input: choose another ${output === job.output ? '-o' : '--mask-out'}`);
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
  if (taskKind(params) !== 'lithophane') {
    await sessions.depth(params.modelType);
    if (params.rmbg && !userMask) await sessions.mask();
  }
  return async (input) => {
    const output = await renderOutput(await readFile(input), params, sessions, {
      ...(userMask ? { userMask } : {}),
      maskPng: maskOut,
      maxMeshTriangles: config.maxMeshTriangles,
    });
    return { bytes: output.bytes, ...(output.maskPng ? { mask: output.maskPng } : {}), ...(output.mesh ? { mesh: output.mesh } : {}) };
  };
}

/** Sends each photo to a Depthmill server through the SDK, waits, downloads. */
async function serverProducer(params: TaskParams, options: GenerateOptions, { userMask, maskOut }: MaskChoices): Promise<Producer> {
  const clientId = options.clientId ?? process.env.DEPTHMILL_CLIENT_ID;
  const clientSecret = options.clientSecret ?? process.env.DEPTHMILL_CLIENT_SECRET;
  if (!clientId || !clientSecret) {
    throw new Error(
      '--server needs client credentials: set DEPTHMILL_CLIENT_ID and DEPTHMILL_CLIENT_SECRET (or pass --client-id and --client-secret); the operator creates them with `depthmill clients create <name>`',
    );
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
      const file = {
        file: photo,
        filename: basename(input),
        ...(userMask ? { mask: userMask, maskFilename: basename(options.mask!) } : {}),
      };
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
    if (named !== undefined && named !== options.format && formatExtension(named) !== formatExtension(options.format))
      throw new Error(`-o ${options.output} ends in .${named} but --format is ${options.format}: make them agree`);
  }
  const params = taskParamsOf(options, format);
  if (taskKind(params) === 'lithophane') {
    // A lithophane is the whole photo: no background removal for a mask to change or show.
    if (options.mask !== undefined) throw new Error('--mask does not apply to --relief-mode lithophane (it is always the whole photo)');
    if (options.maskOut !== undefined) throw new Error('--mask-out does not apply to --relief-mode lithophane (no background is removed)');
  } else if (!params.rmbg) {
    if (options.mask !== undefined) throw new Error('--mask only applies when the background is removed: drop --no-rmbg');
    if (options.maskOut !== undefined)
      throw new Error('--mask-out writes the background mask, and --no-rmbg keeps the background: drop one of them');
  }
  const jobsAtOnce = Number(options.jobs ?? (options.server ? 4 : 1));
  if (!Number.isInteger(jobsAtOnce) || jobsAtOnce < 1 || jobsAtOnce > 10)
    throw new Error(`--jobs must be a whole number from 1 to 10 (got "${options.jobs}")`);

  const { files, problems } = await expandInputs(inputs);
  for (const problem of problems) console.error(`depthmill: ${problem}`);
  if (files.length === 0) throw new Error('nothing to do: no photos found (give files, folders or quoted patterns like "photos/*.jpg")');
  if (options.mask !== undefined && files.length > 1) {
    throw new Error(`--mask is the mask of one photo, and ${files.length} photos were given: run each photo with its own --mask`);
  }
  const jobs = await planJobs(files, format, options);
  const userMask =
    options.mask === undefined
      ? undefined
      : await readFile(resolve(options.mask)).catch((error: NodeJS.ErrnoException) => {
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

export function registerGenerateCommand(program: Command): void {
  const command = program
    .command('generate')
    .alias('gen')
    .description('make depth maps or printable reliefs from photos, on this machine (no server needed) or through a server (--server)')
    .argument('<inputs...>', 'photos: files, folders (their png, jpeg and webp files) or quoted patterns like "shoots/**/*.jpg"')
    .addOption(
      new Option(
        '-f, --format <format>',
        `what to make: ${DEPTH_FORMATS.join(', ')} (depth maps; normal: its normal map, a PNG) or ${MESH_FORMATS.join(', ')} (reliefs); default: from -o, else png`,
      ).choices(FORMATS_BY_KIND),
    )
    .option('-o, --output <path>', 'the output file (one input) or folder; default: beside each photo, as NAME.depth.png or NAME.stl')
    .option('--out-dir <dir>', 'write every output into this folder (created if needed)');
  // The depth map's fields, the user's corrections to its cut, then the relief's fields.
  addFieldOptions(
    command,
    PARAM_FIELDS.filter((row) => row.applies === 'depth'),
  )
    .option(
      '--mask <file>',
      "your own background mask for the (one) photo, replacing the model's: its alpha, else its grey (white = keep), any resolution of the same photo",
    )
    .option(
      '--mask-out <path>',
      'also write the mask the background removal used (8-bit grey PNG at the output size): a file for one photo, a folder (NAME.mask.png) for several',
    );
  addFieldOptions(
    command,
    PARAM_FIELDS.filter((row) => row.applies === 'mesh'),
  )
    .option('--force', 'make outputs again even when they exist (default: skip them)')
    .option('-j, --jobs <n>', 'files processed at once (default 1 locally, 4 with --server)')
    .option(
      '--server <url>',
      'process on this Depthmill server instead of locally (env DEPTHMILL_SERVER)',
      process.env.DEPTHMILL_SERVER || undefined,
    )
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
