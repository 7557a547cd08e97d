// FastDepth through the project's own model loading, sessions and tensor path must reproduce the
// authors' reference prediction (test/fixtures/README.md: measured within 3e-6).
import { afterAll, describe, expect, it } from 'vitest';
import { runDepthModel } from '../../src/pipeline/depth.js';
import { defaultModelName, modelEntry } from '../../src/models/model-cache.js';
import { hwcToNchw } from '../../src/models/tensor.js';
import { readGolden } from '../helpers/fixtures.js';
import { testSessions } from './helpers.js';
import { parseNpy } from './npy.js';

describe('FastDepth golden reference', () => {
  afterAll(() => testSessions().release());

  it('the default depth model is FastDepth with the reference input layout', () => {
    expect(defaultModelName('depth')).toBe('fastdepth');
    const { input } = modelEntry('fastdepth');
    expect(input).toMatchObject({ name: '0', width: 224, height: 224, mean: [0, 0, 0], std: [1, 1, 1] });
  });

  it('reproduces pred.npy from rgb.npy within 1e-4', async () => {
    const rgb = parseNpy(readGolden('rgb.npy'));
    const pred = parseNpy(readGolden('pred.npy'));
    expect(rgb.dtype).toBe('<f8');
    expect(rgb.shape).toEqual([224, 224, 3]);
    expect(pred.shape).toEqual([1, 1, 224, 224]);

    const model = await testSessions().depth();
    // Values unchanged: rgb.npy is already RGB 0..1, and FastDepth's normalisation is mean 0, std 1.
    const tensor = hwcToNchw(rgb.data, 224, 224, model.entry.input);
    const out = await runDepthModel(model, { data: tensor, width: 224, height: 224 });
    expect(out.width).toBe(224);
    expect(out.height).toBe(224);

    let maxDiff = 0;
    for (let i = 0; i < pred.data.length; i++) maxDiff = Math.max(maxDiff, Math.abs(out.data[i]! - pred.data[i]!));
    console.log(`FastDepth golden: max abs diff ${maxDiff.toExponential(2)} m`);
    expect(maxDiff).toBeLessThanOrEqual(1e-4);
  });
});
