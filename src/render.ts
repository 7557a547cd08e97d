// One photo and a task's parameters in, the file the user asked for out: the pipeline, then the
// depth-map encoder, or the relief builder and a mesh encoder. Shared by the worker threads
// (adapters/thread-entry.ts) and the command line, so both produce exactly the same bytes.
import { readDepthMap } from './formats/depth-input.js';
import { encodeDepthMap, encodeRelief, isMeshFormat, type MeshFormat } from './formats/index.js';
import { encodeMaskPng, maskLevels } from './formats/mask-png.js';
import type { DecodeLimits } from './raster/decode.js';
import { runPipeline, type DepthMap, type PipelineSessions } from './pipeline/index.js';
import { buildRelief, type Relief, type ReliefMesh, type ReliefOptions } from './relief/index.js';
import { buildLithophane, FIELD_DEFAULTS, type LithophaneParams } from './relief/lithophane.js';
import { buildColourLithophane } from './relief/colour-lithophane.js';
import { encode3mfParts } from './formats/threemf.js';
import { filamentNamed, formatInfo } from '@depthmill/client/contract';
import type { DepthResult } from './tasks/ports.js';
import type { StageReporter } from './contract/progress.js';
import type { MeshSummary, TaskParams } from './contract/task.js';

export interface RenderOptions {
  /** The user's mask file (rmbg only): it replaces the mask model's cut. */
  userMask?: Uint8Array;
  /** Also return the mask the pipeline used (the result's alpha) as an 8-bit grey PNG. */
  maskPng?: boolean;
  /** Triangles a relief's mesh may have at most (DEPTHMILL_MAX_TRIANGLES); default the relief's own. */
  maxMeshTriangles?: number;
  /** Epoch ms: past it, the work stops at the next stage (after the depth map, after the mesh). */
  deadline?: number;
  /** Told as each stage starts (query-task's progress). */
  report?: StageReporter;
}

/** The task's time is up: the work stops here rather than finish a result nobody will record. */
function stopIfLate(deadline: number | undefined): void {
  if (deadline !== undefined && Date.now() > deadline) throw new Error('the task ran past its time limit; its work was stopped');
}

export interface RenderedOutput extends DepthResult {
  /** With options.maskPng and rmbg: the mask, at the depth map's size. */
  maskPng?: Buffer;
}

/** What query-task's depth_model says of a relief made from the client's own depth map. */
export const USER_DEPTH_MAP_MODEL = 'depth-map';

/** What query-task's depth_model says of a lithophane: no depth model runs, the photo's lightness is the height. */
export const LITHOPHANE_MODEL = 'lithophane';

export async function renderOutput(
  input: Uint8Array,
  params: TaskParams,
  sessions: PipelineSessions,
  options: RenderOptions = {},
): Promise<RenderedOutput> {
  const relief: ReliefOptions = options.maxMeshTriangles ? { maxMeshTriangles: options.maxMeshTriangles } : {};
  const report = options.report ?? (() => undefined);
  stopIfLate(options.deadline);
  if (params.reliefMode === 'lithophane') return renderLithophane(input, params, sessions.decodeLimits, relief, report);
  if (params.depthMap) return renderDepthMapRelief(input, params, sessions.decodeLimits, relief, report);
  const map = await runPipeline(input, options.userMask ? { ...params, userMask: options.userMask } : params, sessions, undefined, report);
  stopIfLate(options.deadline);
  const maskPng = options.maskPng && map.alpha ? { maskPng: await encodeMaskPng(map.width, map.height, maskLevels(map.alpha)) } : {};
  const { format } = params;
  if (!isMeshFormat(format)) {
    report({ stage: 'encode' });
    const output = await encodeDepthMap(format, map, map.metadata);
    return { ...output, model: map.metadata.model, timings: { ...map.timings }, ...maskPng };
  }
  const { output, mesh, timings } = await meshOutput(map, params, format, relief, report, options.deadline);
  return { ...output, model: map.metadata.model, mesh, timings: { ...map.timings, ...timings }, ...maskPng };
}

/**
 * A relief from a depth map the user brought (PNG or EXR; `depthmill relief`, create-task's
 * depth_map): no model runs. rmbg=0 ignores the map's alpha (a plate over the whole image).
 */
export async function renderDepthMapRelief(
  input: Uint8Array,
  params: TaskParams,
  limits?: DecodeLimits,
  relief: ReliefOptions = {},
  report: StageReporter = () => undefined,
): Promise<DepthResult> {
  const { format } = params;
  if (!isMeshFormat(format)) throw new RangeError(`a depth map becomes a relief (stl, glb or 3mf), not ${format}`);
  report({ stage: 'decode' });
  const mark = performance.now();
  const map = await readDepthMap(input, { ...(limits ? { limits } : {}), ignoreAlpha: !params.rmbg });
  const read = performance.now() - mark;
  const { output, mesh, timings } = await meshOutput(map, params, format, relief, report);
  return { ...output, model: USER_DEPTH_MAP_MODEL, mesh, timings: { read, ...timings } };
}

/**
 * A lithophane (create-task's relief_mode=lithophane): the photo's lightness becomes the plate's
 * thickness (src/relief/lithophane.ts); no model runs, and rmbg and the relief's height, base and
 * sculpmode fields are ignored.
 */
export async function renderLithophane(
  input: Uint8Array,
  params: TaskParams,
  limits?: DecodeLimits,
  options: ReliefOptions = {},
  report: StageReporter = () => undefined,
): Promise<DepthResult> {
  const { format } = params;
  if (!isMeshFormat(format)) throw new RangeError(`a lithophane is a mesh (stl, glb or 3mf), not ${format}`);
  // Decoding the photo and shaping the plate are one step here.
  report({ stage: 'relief' });
  const mark = performance.now();
  const litho: LithophaneParams = {
    width: params.width,
    shapeBase: params.shapeBase,
    lithoMin: params.lithoMin ?? FIELD_DEFAULTS.lithoMin,
    lithoMax: params.lithoMax ?? FIELD_DEFAULTS.lithoMax,
    lithoFrame: params.lithoFrame ?? FIELD_DEFAULTS.lithoFrame,
    lithoShape: params.lithoShape ?? FIELD_DEFAULTS.lithoShape,
    lithoAngle: params.lithoAngle ?? FIELD_DEFAULTS.lithoAngle,
  };
  if (params.lithoColor) return renderColourLithophane(input, format, litho, limits, options, report, mark);
  const relief = await buildLithophane(input, litho, limits, options);
  const reliefMs = performance.now() - mark;
  report({ stage: 'encode' });
  const { output, encode } = await encodeMesh(relief.mesh, format);
  return { ...output, model: LITHOPHANE_MODEL, mesh: meshSummary(relief), timings: { relief: reliefMs, encode } };
}

/** A colour lithophane (litho_color=1): one 3MF object of a part per filament (relief/colour-lithophane.ts). */
async function renderColourLithophane(
  input: Uint8Array,
  format: MeshFormat,
  params: LithophaneParams,
  limits: DecodeLimits | undefined,
  options: ReliefOptions,
  report: StageReporter,
  mark: number,
): Promise<DepthResult> {
  if (format !== '3mf') throw new RangeError(`a colour lithophane is a 3mf of coloured parts, not ${format}`);
  const colour = await buildColourLithophane(input, params, limits, options);
  const reliefMs = performance.now() - mark;
  report({ stage: 'encode' });
  const start = performance.now();
  const parts = colour.parts.map(({ filament, mesh }) => ({ name: filament, color: filamentNamed(filament)!.display, mesh }));
  const bytes = encode3mfParts(parts, 'colour lithophane');
  const encode = performance.now() - start;
  return {
    bytes,
    extension: format,
    contentType: formatInfo(format).mediaType,
    model: LITHOPHANE_MODEL,
    mesh: { triangles: colour.triangles, shells: colour.parts.length },
    timings: { relief: reliefMs, encode },
  };
}

/** Relief formats: the depth map becomes a closed millimetre mesh shaped by the task's fields. */
async function meshOutput(
  map: DepthMap,
  params: TaskParams,
  format: MeshFormat,
  options: ReliefOptions,
  report: StageReporter,
  deadline?: number,
) {
  report({ stage: 'relief' });
  const mark = performance.now();
  const relief = buildRelief(map, params, options);
  const reliefMs = performance.now() - mark;
  stopIfLate(deadline);
  report({ stage: 'encode' });
  const { output, encode } = await encodeMesh(relief.mesh, format);
  return { output, mesh: meshSummary(relief), timings: { relief: reliefMs, encode } };
}

/** What query-task says of a relief's mesh. */
function meshSummary({ stats }: Relief): MeshSummary {
  return { triangles: stats.triangles.total, shells: stats.shells };
}

async function encodeMesh(mesh: ReliefMesh, format: MeshFormat) {
  const mark = performance.now();
  const output = await encodeRelief(format, mesh);
  return { output, encode: performance.now() - mark };
}
