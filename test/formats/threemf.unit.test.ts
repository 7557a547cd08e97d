// 3MF: the OPC package's parts, the model document's unit and content, then the independent
// reader: PrusaSlicer reads it (sizes in mm, manifold) and slices it.
import { strFromU8, unzipSync } from 'fflate';
import { describe, expect, it } from 'vitest';
import { encode3mf, modelXml } from '../../src/formats/threemf.js';
import { expectPrintable, writeTemp } from '../relief/helpers.js';
import { appleRelief, box } from './mesh-fixtures.js';

describe('encode3mf', () => {
  it('is a zip package with the content types, the root relationship and the model', () => {
    const zip = encode3mf(box());
    expect(zip.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    const parts = unzipSync(zip);
    expect(Object.keys(parts)).toEqual(['[Content_Types].xml', '_rels/.rels', '3D/3dmodel.model']);

    const types = strFromU8(parts['[Content_Types].xml']!);
    expect(types).toMatch(/Extension="rels" ContentType="application\/vnd\.openxmlformats-package\.relationships\+xml"/);
    expect(types).toMatch(/Extension="model" ContentType="application\/vnd\.ms-package\.3dmanufacturing-3dmodel\+xml"/);
    const rels = strFromU8(parts['_rels/.rels']!);
    expect(rels).toMatch(/Target="\/3D\/3dmodel\.model"/);
    expect(rels).toMatch(/Type="http:\/\/schemas\.microsoft\.com\/3dmanufacturing\/2013\/01\/3dmodel"/);

    const model = strFromU8(parts['3D/3dmodel.model']!);
    expect(model).toBe(modelXml(box()));
    expect(model).toMatch(/<model unit="millimeter"[^>]*xmlns="http:\/\/schemas\.microsoft\.com\/3dmanufacturing\/core\/2015\/02"/);
    expect(model.match(/<vertex /g)).toHaveLength(8);
    expect(model.match(/<triangle /g)).toHaveLength(12);
    expect(model).toMatch(/<vertex x="10" y="20" z="5"\/>/);
    expect(model).toMatch(/<build>\s*<item objectid="1"\/>\s*<\/build>/);
  });

  it('gives the same bytes for the same mesh', () => {
    expect(encode3mf(box()).equals(encode3mf(box()))).toBe(true);
  });

  it('keeps float32 coordinates exactly', () => {
    const mesh = box();
    mesh.positions[0] = Math.fround(1 / 3);
    const first = /<vertex x="([^"]+)"/.exec(modelXml(mesh))![1]!;
    expect(Math.fround(Number(first))).toBe(mesh.positions[0]);
  });

  it('is read by PrusaSlicer in millimetres as a manifold, and sliced into G-code', async () => {
    const mesh = await appleRelief();
    expectPrintable(writeTemp('apple.3mf', encode3mf(mesh)), mesh, { width: 40, height: 2.3 });
  });
});
