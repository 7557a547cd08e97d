// Global set-up of the https test run: one self-signed certificate for the whole run. Every test
// server speaks HTTPS with it (test/helpers/server.ts), and the test process and the CLI trust it
// (test/https/trust.ts, NODE_EXTRA_CA_CERTS) with verification on.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { makeSelfSignedCertificate } from '../helpers/tls.js';

export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'depthmill-tls-'));
  const { cert, key } = makeSelfSignedCertificate(dir);
  project.provide('tlsCert', cert);
  project.provide('tlsKey', key);
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    tlsCert: string;
    tlsKey: string;
  }
}
