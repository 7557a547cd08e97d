// Blobs as files under one directory (the embedded default). Writes go to a temporary name and
// are renamed into place, so a crash never leaves a half-written result under its real name.
import { constants } from 'node:fs';
import { access, mkdir, readdir, readFile, rename, rm, statfs, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { StorageFull, TransientError } from '../contract/errors.js';
import type { BlobStore } from '../tasks/ports.js';
import type { LinkSigner } from '../tasks/signed-links.js';

/** File-system errors that can clear up by themselves (a busy or full disk, too many open files). */
const TRANSIENT_CODES = new Set(['EAGAIN', 'EBUSY', 'EDQUOT', 'EINTR', 'EIO', 'EMFILE', 'ENFILE', 'ENOSPC', 'ETIMEDOUT']);

function storageError(error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ENOSPC' || code === 'EDQUOT') return new StorageFull((error as Error).message, { cause: error });
  return code && TRANSIENT_CODES.has(code) ? new TransientError((error as Error).message, { cause: error }) : error;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export class FsBlobStore implements BlobStore {
  private readonly root: string;

  constructor(
    root: string,
    private readonly signer: LinkSigner,
  ) {
    this.root = resolve(root);
  }

  private pathOf(key: string): string {
    const path = resolve(join(this.root, key));
    if (!path.startsWith(this.root + sep)) throw new Error(`blob key outside the store: ${key}`);
    return path;
  }

  async put(key: string, bytes: Buffer): Promise<void> {
    const path = this.pathOf(key);
    // Photos and results are the clients' own: the owner's only.
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    const partial = `${path}.partial-${process.pid}`;
    try {
      await writeFile(partial, bytes, { mode: 0o600 });
      await rename(partial, path);
    } catch (error) {
      await rm(partial, { force: true }).catch(() => undefined);
      throw storageError(error);
    }
  }

  async get(key: string): Promise<Buffer> {
    return readFile(this.pathOf(key)).catch((error: unknown) => {
      throw storageError(error);
    });
  }

  async ping(): Promise<void> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    await access(this.root, constants.W_OK);
  }

  async room(): Promise<number> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    const stats = await statfs(this.root);
    return stats.bavail * stats.bsize;
  }

  /**
   * Removes the `.partial-<pid>` files of processes that are gone (killed mid-write); a live
   * process's own are left to it. Returns how many were removed.
   */
  async removeLeftoverPartials(): Promise<number> {
    const entries = await readdir(this.root, { recursive: true, withFileTypes: true }).catch(() => []);
    let removed = 0;
    for (const entry of entries) {
      const pid = /\.partial-(\d+)$/.exec(entry.name)?.[1];
      if (!entry.isFile() || pid === undefined || isAlive(Number(pid))) continue;
      await rm(join(entry.parentPath, entry.name), { force: true });
      removed++;
    }
    return removed;
  }

  filePath(key: string): string {
    return this.pathOf(key);
  }

  async delete(key: string): Promise<void> {
    await rm(this.pathOf(key), { force: true });
  }

  async signedUrl(key: string, ttlSeconds: number, baseUrl: string): Promise<string> {
    return this.signer.sign(baseUrl, key, ttlSeconds);
  }
}
