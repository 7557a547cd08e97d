// Which depth model serves a model_type when none is pinned: bestInstalledModel on the bundled
// registry, for the sets of installed models a user can have.
import { describe, expect, it } from 'vitest';
import { bestInstalledModel, betterModelHint, models, type ModelEntry } from '../../src/models/model-cache.js';

const installed =
  (...names: string[]) =>
  (name: string) =>
    names.includes(name);

describe('bestInstalledModel', () => {
  it('takes Depth Anything V2 Small over its int8 version over FastDepth, as they are installed', () => {
    expect(bestInstalledModel('depth', installed('fastdepth', 'u2netp'))).toBe('fastdepth');
    expect(bestInstalledModel('depth', installed('fastdepth', 'depth-anything-v2-small-int8'))).toBe('depth-anything-v2-small-int8');
    expect(bestInstalledModel('depth', installed('fastdepth', 'depth-anything-v2-small-int8', 'depth-anything-v2-small'))).toBe(
      'depth-anything-v2-small',
    );
    expect(bestInstalledModel('depth', installed('depth-anything-v2-small'))).toBe('depth-anything-v2-small');
  });

  it('never chooses a non-commercial model by itself, however good', () => {
    expect(models['depth-anything-v2-large']!.quality).toBeGreaterThan(models['depth-anything-v2-small']!.quality!);
    const all = installed(...Object.keys(models));
    expect(bestInstalledModel('depth', all)).toBe('depth-anything-v2-small');
    expect(bestInstalledModel('depth', installed('fastdepth', 'depth-anything-v2-base', 'depth-anything-v2-large'))).toBe('fastdepth');
  });

  it('falls back to the bundled default when nothing is installed (the start-up check then names it)', () => {
    expect(bestInstalledModel('depth', installed())).toBe('fastdepth');
    expect(bestInstalledModel('mask', installed())).toBe('u2netp');
  });

  it('leaves out models without a quality rank (an operator opts theirs in with one)', () => {
    const own: ModelEntry = { ...models['depth-anything-v2-small']!, file: 'own.onnx', quality: undefined };
    const registry = { ...models, own };
    expect(bestInstalledModel('depth', installed('fastdepth', 'own'), registry)).toBe('fastdepth');
    expect(bestInstalledModel('depth', installed('fastdepth', 'own'), { ...registry, own: { ...own, quality: 10 } })).toBe('own');
  });
});

describe('betterModelHint', () => {
  const both = { base: 'fastdepth', pro: 'fastdepth' };

  it('says, while FastDepth serves, that Depth Anything V2 Small is much better and how to install it', () => {
    expect(betterModelHint(both, installed('fastdepth', 'u2netp'))).toBe(
      'FastDepth serves model_type base and pro: Depth Anything V2 Small gives much better depth; install it with `npx depthmill models pull depth-anything-v2-small` and restart the server',
    );
    expect(
      betterModelHint({ base: 'fastdepth', pro: 'depth-anything-v2-small-int8' }, installed('fastdepth', 'depth-anything-v2-small-int8')),
    ).toMatch(/^FastDepth serves model_type base: /);
  });

  it('says nothing once the better model is installed (FastDepth then serves only where it is pinned), or when FastDepth serves nothing', () => {
    expect(betterModelHint(both, installed('fastdepth', 'depth-anything-v2-small'))).toBeUndefined();
    expect(
      betterModelHint(
        { base: 'depth-anything-v2-small-int8', pro: 'depth-anything-v2-small-int8' },
        installed('depth-anything-v2-small-int8'),
      ),
    ).toBeUndefined();
  });
});
