// The process logger (pino, JSON lines). Request lines keep what an operator needs (method, path,
// status, time) and nothing that grants access: no Authorization header, and download links are
// logged without their signature.
import pino, { type Logger } from 'pino';

const SECRET_QUERY = /([?&](?:signature|X-Amz-Signature|X-Amz-Credential|X-Amz-Security-Token)=)[^&]*/gi;

export function redactUrl(url: string): string {
  return url.replace(SECRET_QUERY, '$1[redacted]');
}

interface RequestLike {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
}

export function createLogger(level: string): Logger {
  return pino({
    level,
    serializers: {
      req: (request: RequestLike) => ({
        method: request.method,
        url: request.url && redactUrl(request.url),
        host: request.host,
        remoteAddress: request.ip,
      }),
    },
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', '*.clientSecret', '*.client_secret', '*.accessToken'],
      censor: '[redacted]',
    },
  });
}
