// `depthmill relief <depth.png|depth.exr> -o out.stl`: a printable relief from a depth map the user
// already has (ComfyUI, Blender, a phone's depth camera), on this machine: no model, no server. The
// same renderDepthMapRelief as create-task's depth_map, and the relief flags of `generate`,
// validated by the API's own schema, so both give the same mesh for the same map and fields.
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import { loadConfig } from '../config.js';
import { MESH_FORMATS, type MeshFormat, PARAM_FIELDS } from '@depthmill/client/contract';
import type { OutputFormat } from '../contract/task.js';
import { addFieldOptions, taskParamsOf, type GenerateOptions, type ReliefFieldOptions } from './generate.js';

/** generate's flags of the fields a relief from a depth map takes (addFieldOptions), with a mesh format only. */
type ReliefOptions = Pick<GenerateOptions, 'output' | 'force'> & ReliefFieldOptions & { format?: MeshFormat };

function meshFormatOf(path: string): MeshFormat | undefined {
  const extension = extname(path).slice(1).toLowerCase();
  return MESH_FORMATS.find((format) => format === extension);
}

async function relief(input: string, options: ReliefOptions): Promise<void> {
  const named = options.output === undefined ? undefined : meshFormatOf(options.output);
  if (options.output !== undefined && named === undefined && options.format === undefined) {
    throw new Error(`-o ${options.output}: the name should end in .stl, .glb or .3mf (or give -f)`);
  }
  if (options.format !== undefined && named !== undefined && named !== options.format) {
    throw new Error(`-o ${options.output} ends in .${named} but --format is ${options.format}: make them agree`);
  }
  const format: OutputFormat = options.format ?? named ?? 'stl';
  const params = taskParamsOf(options, format);
  const output = resolve(options.output ?? join(dirname(input), `${basename(input, extname(input))}.${format}`));
  if (!options.force && (await stat(output).catch(() => undefined))) throw new Error(`${output} exists: add --force to replace it`);
  const bytes = await readFile(resolve(input)).catch((error: NodeJS.ErrnoException) => {
    throw new Error(`${input}: ${error.code === 'ENOENT' ? 'no such file' : error.message}`);
  });

  // Loaded here: the other commands should not pay for the relief builder and encoders.
  const { renderDepthMapRelief } = await import('../render.js');
  const started = performance.now();
  const config = loadConfig();
  const result = await renderDepthMapRelief(bytes, { ...params, depthMap: true }, config.decodeLimits, {
    maxMeshTriangles: config.maxMeshTriangles,
  });
  // Under a temporary name, then renamed: an interrupted run leaves no half file behind.
  const partial = `${output}.partial-${process.pid}`;
  try {
    await writeFile(partial, result.bytes);
    await rename(partial, output);
  } finally {
    await rm(partial, { force: true });
  }
  const parts = result.mesh && result.mesh.shells > 1 ? `, ${result.mesh.shells} separate parts` : '';
  const triangles = result.mesh ? `, ${result.mesh.triangles} triangles${parts}` : '';
  console.log(`${output}: ${result.bytes.length} bytes${triangles} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

export function registerReliefCommand(program: Command): void {
  const command = program
    .command('relief')
    .description(
      'make a printable relief (stl, glb, 3mf) from a depth map you have: PNG (8/16-bit grey, near = bright) or OpenEXR; no model, no server',
    )
    .argument(
      '<depth-map>',
      'a PNG (grey, grey + alpha, or RGB(A) whose first channel is the depth) or an EXR (channel Y, Z or R; A); near = bright; alpha >= 0.5 is the footprint',
    )
    .addOption(new Option('-f, --format <format>', `${MESH_FORMATS.join(', ')} (default: from -o, else stl)`).choices(MESH_FORMATS))
    .option('-o, --output <file>', 'the relief file; default: beside the map, as NAME.stl');
  addFieldOptions(command, PARAM_FIELDS, true)
    .option('--force', 'replace the output when it exists')
    .addHelpText(
      'after',
      `
Examples:
  depthmill relief statue.depth.png -o statue.stl --width 80 --height-relief 4
  depthmill relief render.exr -o render.3mf --no-rmbg --shape-base circle

Depth is stretched to 0..1 over the footprint; an EXR may hold any range (near = larger).`,
    )
    .action(relief);
}
