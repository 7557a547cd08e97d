// A throwaway certificate for HTTPS tests: self-signed, for 127.0.0.1 and localhost, valid one day,
// made by the openssl command line so the test checks the server against a certificate it did not make.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface CertificateFiles {
  /** PEM certificate: also the CA a client must trust, since it signs itself. */
  cert: string;
  /** PEM private key (unencrypted). */
  key: string;
}

export function makeSelfSignedCertificate(dir: string): CertificateFiles {
  const files = { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') };
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
      '-keyout',
      files.key,
      '-out',
      files.cert,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  return files;
}
