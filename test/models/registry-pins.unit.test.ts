// A model pinned by sha256 must also be fetched from a fixed revision: a URL that follows a moving
// branch (Hugging Face's `main`) breaks every new install the day the publisher re-uploads the file
// (the checksum no longer matches, and the server stays on FastDepth).
import { describe, expect, it } from 'vitest';
import { models } from '../../src/models/model-cache.js';

describe('the model registry', () => {
  const pinned = Object.entries(models).filter(([, entry]) => entry.sha256 && entry.source.url?.startsWith('https://huggingface.co/'));

  it('has Hugging Face models pinned by checksum (the install-time one among them)', () => {
    expect(pinned.map(([name]) => name)).toEqual(expect.arrayContaining(['depth-anything-v2-small', 'depth-anything-v2-small-int8']));
  });

  it.each(pinned)('fetches %s from a commit, not a branch', (_name, entry) => {
    expect(entry.source.url).toMatch(/^https:\/\/huggingface\.co\/[\w.-]+\/[\w.-]+\/resolve\/[0-9a-f]{40}\//);
  });
});
