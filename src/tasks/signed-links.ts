// Download links that need no token: the path and expiry are signed with the server secret
// (HMAC-SHA256), the way S3 presigned URLs work, so any process sharing the secret can check them.
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DOWNLOAD_PREFIX = '/files/';

export class LinkSigner {
  constructor(private readonly secret: Buffer) {}

  private signature(key: string, expires: number): string {
    return createHmac('sha256', this.secret).update(`download\n${key}\n${expires}`).digest('hex');
  }

  sign(baseUrl: string, key: string, ttlSeconds: number, now = Date.now()): string {
    const expires = Math.floor(now / 1000) + ttlSeconds;
    const url = new URL(DOWNLOAD_PREFIX + key.split('/').map(encodeURIComponent).join('/'), baseUrl);
    url.searchParams.set('expires', String(expires));
    url.searchParams.set('signature', this.signature(key, expires));
    return url.toString();
  }

  /** 'ok', or why the link is refused. */
  check(key: string, expires: string | undefined, signature: string | undefined, now = Date.now()): 'ok' | 'expired' | 'invalid' {
    if (!expires || !signature || !/^\d+$/.test(expires) || !/^[0-9a-f]{64}$/.test(signature)) return 'invalid';
    const expected = Buffer.from(this.signature(key, Number(expires)), 'hex');
    if (!timingSafeEqual(expected, Buffer.from(signature, 'hex'))) return 'invalid';
    return Number(expires) * 1000 < now ? 'expired' : 'ok';
  }
}
