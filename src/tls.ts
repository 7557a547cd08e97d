// HTTPS for the API: the certificate and private key that DEPTHMILL_TLS_CERT and DEPTHMILL_TLS_KEY
// name, read once when the server starts, so a wrong path or a key that does not match the
// certificate stops the start with a message naming the variable and the file, instead of
// failing every connection later.
import { readFileSync } from 'node:fs';
import { createSecureContext } from 'node:tls';
import type { Config } from './config.js';

/** PEM contents, as node:https takes them. */
export interface TlsFiles {
  cert: Buffer;
  key: Buffer;
}

function readPem(variable: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new Error(`${variable}: cannot read ${path} (${reason})`);
  }
}

/** The configured certificate and key, checked to be a usable pair; undefined when TLS is off. */
export function readTlsFiles(config: Pick<Config, 'tlsCert' | 'tlsKey'>): TlsFiles | undefined {
  if (config.tlsCert === undefined || config.tlsKey === undefined) return undefined;
  const files = { cert: readPem('DEPTHMILL_TLS_CERT', config.tlsCert), key: readPem('DEPTHMILL_TLS_KEY', config.tlsKey) };
  try {
    // What the HTTPS server will do with them: parse both and check the key is the certificate's.
    createSecureContext(files);
  } catch (error) {
    throw new Error(
      `DEPTHMILL_TLS_CERT ${config.tlsCert} and DEPTHMILL_TLS_KEY ${config.tlsKey} are not a PEM certificate and its private key (${(error as Error).message})`,
    );
  }
  return files;
}
