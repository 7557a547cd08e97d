/**
 * 3MF (3D Manufacturing Format, core specification 1.3) of a relief mesh: an OPC zip package with
 * [Content_Types].xml, _rels/.rels pointing at 3D/3dmodel.model, and the model itself in
 * millimetres: one mesh object (vertices and counter-clockwise triangles, as the spec wants for
 * outward normals) placed once on the build plate, or one object of coloured parts (a colour
 * lithophane: core basematerials per triangle, and PrusaSlicer's part config naming the parts and
 * their extruders). Coordinates keep 9 significant digits, enough to
 * give back the mesh's float32 values exactly.
 *
 * Speed: the model is written straight into bytes (it is megabytes of ASCII), and deflated by
 * Node's zlib rather than fflate's JavaScript deflate: at level 4 it is as small as fflate's level
 * 6 and about six times faster. fflate still writes the zip container.
 */
import { deflateRawSync } from 'node:zlib';
import { strFromU8, strToU8, Zip, ZipPassThrough } from 'fflate';
import type { ReliefMesh } from '../relief/mesh.js';

const CORE = 'http://schemas.microsoft.com/3dmanufacturing/core/2015/02';
const MODEL_PATH = '3D/3dmodel.model';
/** A fixed date in the zip entries, so the same mesh always gives the same bytes. */
const ZIP_DATE = new Date('2020-01-01T00:00:00Z');
/** zlib's level: 4 compresses relief models as well as fflate's default 6 did (within 1 %). */
const DEFLATE_LEVEL = 4;

const CONTENT_TYPES = `<?xml version="1.0" encoding="UTF-8"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
  <Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
  <Default Extension="model" ContentType="application/vnd.ms-package.3dmanufacturing-3dmodel+xml"/>
</Types>
`;

const RELATIONSHIPS = `<?xml version="1.0" encoding="UTF-8"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
  <Relationship Target="/${MODEL_PATH}" Id="rel0" Type="http://schemas.microsoft.com/3dmanufacturing/2013/01/3dmodel"/>
</Relationships>
`;

const PREAMBLE = [
  '<?xml version="1.0" encoding="UTF-8"?>',
  `<model unit="millimeter" xml:lang="en-US" xmlns="${CORE}">`,
  ' <metadata name="Application">Depthmill</metadata>',
  ' <resources>',
  '',
].join('\n');
const MESH_OPEN = '   <mesh>\n    <vertices>\n';
const MIDDLE = '    </vertices>\n    <triangles>\n';
const MESH_CLOSE = '    </triangles>\n   </mesh>\n';
/** The build: the object `id` placed once. */
const buildOf = (id: number) => [' </resources>', ' <build>', `  <item objectid="${id}"/>`, ' </build>', '</model>', ''].join('\n');

/** ASCII text into a byte buffer that grows as needed: no intermediate strings. */
class AsciiWriter {
  bytes = new Uint8Array(1 << 16);
  length = 0;
  private readonly digits = new Uint8Array(24);

  private reserve(count: number): void {
    if (this.length + count <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(2 * this.bytes.length, this.length + count));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  /** Pre-encoded ASCII. */
  raw(text: Uint8Array): void {
    this.reserve(text.length);
    this.bytes.set(text, this.length);
    this.length += text.length;
  }

  /** A non-negative integer below 2^53. */
  integer(value: number): void {
    let count = 0;
    do {
      const next = Math.floor(value / 10);
      this.digits[count++] = 48 + value - 10 * next;
      value = next;
    } while (value > 0);
    this.reserve(count);
    while (count > 0) this.bytes[this.length++] = this.digits[--count]!;
  }

  /**
   * A float32 value to 9 significant digits, trailing zeros dropped: what
   * String(Number(value.toPrecision(9))) gives, done with integer arithmetic where that provably
   * reads back as the same float32, else by toPrecision itself.
   */
  float32(value: number): void {
    const magnitude = Math.abs(value);
    if (magnitude === 0) return this.raw(ZERO);
    if (magnitude < 1e-4 || magnitude >= 1e9) return this.raw(strToU8(String(Number(value.toPrecision(9)))));
    // 9 significant digits: m / 10^decimals with m below 10^9 (or exactly 10^9 when rounding up).
    let decimals = 8 - Math.floor(Math.log10(magnitude));
    let scale = 10 ** decimals;
    let m = Math.round(magnitude * scale);
    if (Math.fround(m / scale) !== magnitude) return this.raw(strToU8(String(Number(value.toPrecision(9)))));
    // Trailing zeros go; what is left is exact in both forms.
    while (decimals > 0 && m % 10 === 0) {
      m /= 10;
      decimals--;
      scale /= 10;
    }
    if (value < 0) this.raw(MINUS);
    const whole = Math.floor(m / scale);
    this.integer(whole);
    if (decimals === 0) return;
    this.raw(POINT);
    const fraction = m - whole * scale;
    // Leading zeros of the fraction, then its digits.
    let count = 0;
    for (let f = fraction; f > 0; f = Math.floor(f / 10)) count++;
    this.reserve(decimals);
    for (let i = count; i < decimals; i++) this.bytes[this.length++] = 48;
    this.integer(fraction);
  }
}

const ZERO = strToU8('0');
const MINUS = strToU8('-');
const POINT = strToU8('.');
const VERTEX_X = strToU8('     <vertex x="');
const Y = strToU8('" y="');
const Z = strToU8('" z="');
const TRIANGLE_V1 = strToU8('     <triangle v1="');
const V2 = strToU8('" v2="');
const V3 = strToU8('" v3="');
const END = strToU8('"/>\n');

/**
 * A <mesh> element of these meshes together (each keeps its own closed shells). With `material`,
 * each triangle takes base material `material` + the index of its mesh (pid, p1): a part's colour.
 */
function writeMesh(out: AsciiWriter, meshes: readonly ReliefMesh[], material?: number): void {
  out.raw(strToU8(MESH_OPEN));
  for (const { positions, indices } of meshes) {
    if (indices.length % 3 !== 0) throw new RangeError('3MF: index count is not a multiple of 3');
    for (let v = 0; v < positions.length; v += 3) {
      out.raw(VERTEX_X);
      out.float32(positions[v]!);
      out.raw(Y);
      out.float32(positions[v + 1]!);
      out.raw(Z);
      out.float32(positions[v + 2]!);
      out.raw(END);
    }
  }
  out.raw(strToU8(MIDDLE));
  let offset = 0;
  meshes.forEach(({ positions, indices }, part) => {
    const vertexCount = positions.length / 3;
    const end = material === undefined ? END : strToU8(`" pid="${material}" p1="${part}"/>\n`);
    for (let t = 0; t < indices.length; t += 3) {
      const a = indices[t]!;
      const b = indices[t + 1]!;
      const c = indices[t + 2]!;
      if (a >= vertexCount || b >= vertexCount || c >= vertexCount)
        throw new RangeError(`3MF: triangle ${t / 3} refers to a missing vertex`);
      out.raw(TRIANGLE_V1);
      out.integer(offset + a);
      out.raw(V2);
      out.integer(offset + b);
      out.raw(V3);
      out.integer(offset + c);
      out.raw(end);
    }
    offset += vertexCount;
  });
  out.raw(strToU8(MESH_CLOSE));
}

/** The 3D/3dmodel.model document of one mesh object, as UTF-8 (here ASCII) bytes. */
function modelBytes(mesh: ReliefMesh): Uint8Array {
  const out = new AsciiWriter();
  out.raw(strToU8(`${PREAMBLE}  <object id="1" name="relief" type="model">\n`));
  writeMesh(out, [mesh]);
  out.raw(strToU8(`  </object>\n${buildOf(1)}`));
  return out.bytes.subarray(0, out.length);
}

/** One part of a multi-part object: its name (a slicer shows it), its colour (#RRGGBB) and its closed mesh. */
export interface ColouredPart {
  name: string;
  color: string;
  mesh: ReliefMesh;
}

const XML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' };
const escapeXml = (text: string) => text.replace(/[&<>"]/g, (c) => XML_ESCAPES[c]!);

/**
 * The model document of one object made of coloured parts: the core's <basematerials> (one base
 * material per part, its displaycolor the part's colour) and one mesh object holding every part's
 * closed shells, each triangle taking its part's material. Readers of the core spec see the
 * colours; PrusaSlicer (and the slicers that read its files) see the parts through
 * Metadata/Slic3r_PE_model.config (partsConfig). Not <components> of one object per part: the
 * slicers make each component an object of its own.
 */
function partsModelBytes(parts: readonly ColouredPart[], name: string): Uint8Array {
  if (parts.length === 0) throw new RangeError('3MF: an object of parts needs at least one part');
  const out = new AsciiWriter();
  const bases = parts.map((part) => `   <base name="${escapeXml(part.name)}" displaycolor="${escapeXml(part.color)}"/>\n`).join('');
  out.raw(strToU8(`${PREAMBLE}  <basematerials id="1">\n${bases}  </basematerials>\n`));
  out.raw(strToU8(`  <object id="2" name="${escapeXml(name)}" type="model" pid="1" pindex="${parts.length - 1}">\n`));
  writeMesh(
    out,
    parts.map((part) => part.mesh),
    1,
  );
  out.raw(strToU8(`  </object>\n${buildOf(2)}`));
  return out.bytes.subarray(0, out.length);
}

/** The PrusaSlicer config naming the parts: each a volume (a range of the object's triangles) with its name and extruder (1, 2, ...). */
const PARTS_CONFIG_PATH = 'Metadata/Slic3r_PE_model.config';
function partsConfig(parts: readonly ColouredPart[], name: string): string {
  let first = 0;
  const volumes = parts.map((part, index) => {
    const last = first + part.mesh.indices.length / 3 - 1;
    const volume = [
      `  <volume firstid="${first}" lastid="${last}">`,
      `   <metadata type="volume" key="name" value="${escapeXml(part.name)}"/>`,
      `   <metadata type="volume" key="extruder" value="${index + 1}"/>`,
      '  </volume>',
    ];
    first = last + 1;
    return volume.join('\n');
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<config>',
    ' <object id="2" instances_count="1">',
    `  <metadata type="object" key="name" value="${escapeXml(name)}"/>`,
    ...volumes,
    ' </object>',
    '</config>',
    '',
  ].join('\n');
}

/** The 3D/3dmodel.model document alone. */
export function modelXml(mesh: ReliefMesh): string {
  return strFromU8(modelBytes(mesh));
}

/**
 * A zip entry deflated by Node's zlib; fflate's ZipPassThrough counts its size and CRC (the
 * extension point fflate documents for other compressors). Takes its data in one push: each
 * push becomes one complete deflate stream.
 */
class ZlibEntry extends ZipPassThrough {
  constructor(filename: string) {
    super(filename);
    this.compression = 8; // deflate
    this.mtime = ZIP_DATE;
  }

  protected override process(chunk: Uint8Array<ArrayBuffer>, final: boolean): void {
    const deflated = deflateRawSync(chunk, { level: DEFLATE_LEVEL });
    this.ondata(null, new Uint8Array(deflated.buffer, deflated.byteOffset, deflated.byteLength), final);
  }
}

export function encode3mf(mesh: ReliefMesh): Buffer {
  return packageOf(modelBytes(mesh));
}

/** A 3MF of one object made of coloured parts (a colour lithophane's filaments). */
export function encode3mfParts(parts: readonly ColouredPart[], name = 'relief'): Buffer {
  return packageOf(partsModelBytes(parts, name), [[PARTS_CONFIG_PATH, strToU8(partsConfig(parts, name))]]);
}

/** The OPC zip package around a model document. */
function packageOf(model: Uint8Array, extra: Array<[string, Uint8Array]> = []): Buffer {
  const chunks: Uint8Array[] = [];
  let failure: Error | null = null;
  // With ZipPassThrough entries every callback comes synchronously, within add/push/end.
  const zip = new Zip((error, chunk) => {
    if (error) failure ??= error;
    else chunks.push(chunk);
  });
  const entries: Array<[string, Uint8Array]> = [
    ['[Content_Types].xml', strToU8(CONTENT_TYPES)],
    ['_rels/.rels', strToU8(RELATIONSHIPS)],
    [MODEL_PATH, model],
    ...extra,
  ];
  for (const [name, bytes] of entries) {
    const entry = new ZlibEntry(name);
    zip.add(entry);
    entry.push(bytes, true);
  }
  zip.end();
  if (failure) throw failure;
  return Buffer.concat(chunks);
}
