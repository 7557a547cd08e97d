// The one table of output formats: the API's code, the name (also the file extension, unless the
// row names its `extension`), whether it is made from the depth map as an image or is a relief
// mesh, its media type, and how the UI and the CLI name it. Everything
// else (the create-task schema and its messages, OpenAPI, the SDK, the CLI, the web UI, the
// encoders' dispatch, the benches) is derived from it: a new format is a row here and its encoder
// in src/formats/index.ts (docs/ARCHITECTURE.md).

export const OUTPUT_FORMAT_TABLE = [
  { code: 1, name: 'exr', kind: 'depth', mediaType: 'image/x-exr', label: 'EXR', what: 'float depth map' },
  { code: 2, name: 'png', kind: 'depth', mediaType: 'image/png', label: 'PNG', what: '16-bit depth map' },
  { code: 3, name: 'stl', kind: 'mesh', mediaType: 'model/stl', label: 'STL', what: 'relief for printing' },
  { code: 4, name: 'glb', kind: 'mesh', mediaType: 'model/gltf-binary', label: 'GLB', what: 'relief for 3D viewers' },
  { code: 5, name: '3mf', kind: 'mesh', mediaType: 'model/3mf', label: '3MF', what: 'relief for slicers' },
  { code: 6, name: 'bmp', kind: 'depth', mediaType: 'image/bmp', label: 'BMP', what: '8-bit depth map' },
  // Made from the depth map like the depth formats (kind 'depth'); a PNG file, hence `extension`.
  {
    code: 7,
    name: 'normal',
    kind: 'depth',
    mediaType: 'image/png',
    label: 'Normal map',
    what: '16-bit tangent-space normals (OpenGL)',
    extension: 'png',
  },
] as const;

type Row = (typeof OUTPUT_FORMAT_TABLE)[number];
export type OutputFormat = Row['name'];
export type FormatCode = Row['code'];
/** Depth-map formats: the map itself, at the output's resolution. */
export type DepthFormat = Extract<Row, { kind: 'depth' }>['name'];
/** Relief formats: a closed millimetre mesh made from the map. */
export type MeshFormat = Extract<Row, { kind: 'mesh' }>['name'];
export type FormatInfo = Row;

/** Output formats by their API code (API.md "Outputs"). */
export const OUTPUT_FORMATS = Object.fromEntries(OUTPUT_FORMAT_TABLE.map((row) => [row.code, row.name])) as {
  readonly [C in FormatCode]: Extract<Row, { code: C }>['name'];
};

/** Every format, depth maps first (the order a user is offered them in). */
export const FORMATS_BY_KIND: readonly OutputFormat[] = [
  ...OUTPUT_FORMAT_TABLE.filter((row) => row.kind === 'depth'),
  ...OUTPUT_FORMAT_TABLE.filter((row) => row.kind === 'mesh'),
].map((row) => row.name);
export const DEPTH_FORMATS = OUTPUT_FORMAT_TABLE.filter((row) => row.kind === 'depth').map((row) => row.name) as readonly DepthFormat[];
export const MESH_FORMATS = OUTPUT_FORMAT_TABLE.filter((row) => row.kind === 'mesh').map((row) => row.name) as readonly MeshFormat[];

/** The table's row of a format name or file extension, if it is one. */
export function formatNamed(name: string): FormatInfo | undefined {
  return OUTPUT_FORMAT_TABLE.find((row) => row.name === name);
}

export function formatInfo(format: OutputFormat): FormatInfo {
  return formatNamed(format)!;
}

/** The file extension of a format's result: its name, unless its row says otherwise (normal -> png). */
export function formatExtension(format: OutputFormat): string {
  const row: FormatInfo = formatInfo(format);
  return 'extension' in row ? row.extension : row.name;
}

export function isMeshFormat(format: string): format is MeshFormat {
  return (MESH_FORMATS as readonly string[]).includes(format);
}

/** "1 exr, 2 png, …" (or "1 (exr), 2 (png), …"): the codes as the API's messages and documents list them. */
export function formatCodeList(style: 'plain' | 'parenthesised' = 'plain'): string {
  return OUTPUT_FORMAT_TABLE.map((row) => (style === 'plain' ? `${row.code} ${row.name}` : `${row.code} (${row.name})`)).join(', ');
}
