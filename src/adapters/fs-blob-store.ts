// Blobs as files under one directory (the embedded default). Writes go to a temporary name and
// are renamed into place, so a crash never leaves a half-written result under its real name.
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import type { BlobStore } from '../tasks/ports.js';
import type { LinkSigner } from '../tasks/signed-links.js';

export class FsBlobStore implements BlobStore {
  private readonly root: string;

  constructor(root: string, private readonly signer: LinkSigner) {
    this.root = resolve(root);
  }

  private pathOf(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`blob key outside the store: ${key}`);
    return path;
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const partial = `${path}.partial-${process.pid}`;
    await writeFile(partial, bytes);
    await rename(partial, path);
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key));
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async signedUrl(key: string, ttlSeconds: number, baseUrl: string): Promise<string> {
    return this.signer.sign(baseUrl, key, ttlSeconds);
  }
}
