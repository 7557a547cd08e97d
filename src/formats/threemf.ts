/**
 * 3MF (3D Manufacturing Format, core specification 1.3) of a relief mesh: an OPC zip package with
 * [Content_Types].xml, _rels/.rels pointing at 3D/3dmodel.model, and the model itself in
 * millimetres: one mesh object (vertices and counter-clockwise triangles, as the spec wants for
 * outward normals) placed once on the build plate. Coordinates keep 9 significant digits, enough to
 * give back the mesh's float32 values exactly.
 */
import { strToU8, zipSync } from 'fflate';
import type { ReliefMesh } from '../relief/mesh.js';

const CORE = 'http://schemas.microsoft.com/3dmanufacturing/core/2015/02';
const MODEL_PATH = '3D/3dmodel.model';
/** A fixed date in the zip entries, so the same mesh always gives the same bytes. */
const ZIP_DATE = new Date('2020-01-01T00:00:00Z');

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

function number(value: number): string {
  return String(Number(value.toPrecision(9)));
}

/** The 3D/3dmodel.model document alone. */
export function modelXml(mesh: ReliefMesh): string {
  const { positions, indices } = mesh;
  if (indices.length % 3 !== 0) throw new RangeError('3MF: index count is not a multiple of 3');
  const vertexCount = positions.length / 3;
  const parts: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<model unit="millimeter" xml:lang="en-US" xmlns="${CORE}">`,
    ' <metadata name="Application">Depthmill</metadata>',
    ' <resources>',
    '  <object id="1" name="relief" type="model">',
    '   <mesh>',
    '    <vertices>',
  ];
  for (let v = 0; v < positions.length; v += 3) {
    parts.push(`     <vertex x="${number(positions[v]!)}" y="${number(positions[v + 1]!)}" z="${number(positions[v + 2]!)}"/>`);
  }
  parts.push('    </vertices>', '    <triangles>');
  for (let t = 0; t < indices.length; t += 3) {
    const a = indices[t]!;
    const b = indices[t + 1]!;
    const c = indices[t + 2]!;
    if (a >= vertexCount || b >= vertexCount || c >= vertexCount) throw new RangeError(`3MF: triangle ${t / 3} refers to a missing vertex`);
    parts.push(`     <triangle v1="${a}" v2="${b}" v3="${c}"/>`);
  }
  parts.push('    </triangles>', '   </mesh>', '  </object>', ' </resources>', ' <build>', '  <item objectid="1"/>', ' </build>', '</model>', '');
  return parts.join('\n');
}

export function encode3mf(mesh: ReliefMesh): Buffer {
  const zip = zipSync(
    {
      '[Content_Types].xml': strToU8(CONTENT_TYPES),
      '_rels/.rels': strToU8(RELATIONSHIPS),
      [MODEL_PATH]: strToU8(modelXml(mesh)),
    },
    { level: 6, mtime: ZIP_DATE },
  );
  return Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
}
