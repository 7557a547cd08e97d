// Binary STL: the layout by hand, then ADMesh and PrusaSlicer read it (sizes in mm, closed) and
// PrusaSlicer slices it.
import { describe, expect, it } from 'vitest';
import { encodeStl } from '../../src/formats/stl.js';
import { admesh, expectPrintable, topology, writeTemp } from '../relief/helpers.js';
import { appleRelief, box, domeRelief } from './mesh-fixtures.js';

describe('encodeStl', () => {
  it('writes the binary layout: 80-byte header not starting with "solid", count, 50 bytes per triangle', () => {
    const mesh = box();
    const stl = encodeStl(mesh);
    expect(stl.length).toBe(84 + 50 * 12);
    expect(stl.subarray(0, 5).toString('latin1')).not.toBe('solid');
    expect(stl.readUInt32LE(80)).toBe(12);
    // Triangle 2 is the top (4, 5, 6): normal +z, then its corners as float32 x, y, z.
    const at = 84 + 2 * 50;
    expect([stl.readFloatLE(at), stl.readFloatLE(at + 4), stl.readFloatLE(at + 8)]).toEqual([0, 0, 1]);
    expect([stl.readFloatLE(at + 12), stl.readFloatLE(at + 16), stl.readFloatLE(at + 20)]).toEqual([0, 0, 5]);
    expect([stl.readFloatLE(at + 24), stl.readFloatLE(at + 28), stl.readFloatLE(at + 32)]).toEqual([10, 0, 5]);
    expect([stl.readFloatLE(at + 36), stl.readFloatLE(at + 40), stl.readFloatLE(at + 44)]).toEqual([10, 20, 5]);
    expect(stl.readUInt16LE(at + 48)).toBe(0);
  });

  it('is read by ADMesh as the same closed solid: facets, volume, one part, nothing to fix', () => {
    const report = admesh(writeTemp('box.stl', encodeStl(box())));
    expect(report.text).toMatch(/File type\s*: Binary STL file/);
    expect(report.facets).toBe(12);
    expect(report.volume).toBeCloseTo(1000, 3);
    expect(report.parts).toBe(1);
    expect([report.edgesFixed, report.facetsReversed, report.backwardsEdges, report.normalsFixed]).toEqual([0, 0, 0, 0]);

    const dome = domeRelief();
    const domeReport = admesh(writeTemp('dome.stl', encodeStl(dome)));
    expect(domeReport.facets).toBe(dome.indices.length / 3);
    expect(domeReport.volume).toBeCloseTo(topology(dome).volume, 1);
    expect([domeReport.edgesFixed, domeReport.facetsReversed, domeReport.backwardsEdges, domeReport.normalsFixed]).toEqual([0, 0, 0, 0]);
  });

  it('is read by PrusaSlicer in millimetres as a manifold, and sliced into G-code', async () => {
    const mesh = await appleRelief();
    expectPrintable(writeTemp('apple.stl', encodeStl(mesh)), mesh, { width: 40, height: 2.3 });
  });
});
