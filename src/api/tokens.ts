// Access tokens: HS256 JWTs (jose), valid 24 hours, checked against the client store on every
// request so that revoking a client stops its tokens at once.
import { createHmac, randomBytes } from 'node:crypto';
import { jwtVerify, SignJWT } from 'jose';
import type { Client, ClientStore } from '../tasks/ports.js';

export const TOKEN_TTL_SECONDS = 24 * 60 * 60;
const ISSUER = 'depthmill';

export class TokenIssuer {
  private readonly key: Uint8Array;

  constructor(
    serverSecret: Buffer,
    private readonly clients: ClientStore,
  ) {
    // A key of its own, derived from the server secret, so tokens and download links never share one.
    this.key = createHmac('sha256', serverSecret).update('access-token-v1').digest();
  }

  async issue(client: Client): Promise<string> {
    return new SignJWT({})
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setIssuer(ISSUER)
      .setSubject(client.id)
      .setJti(randomBytes(12).toString('hex'))
      .setIssuedAt()
      .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
      .sign(this.key);
  }

  /** The client a token speaks for, or undefined when it is malformed, expired or revoked. */
  async verify(token: string): Promise<Client | undefined> {
    try {
      const { payload } = await jwtVerify(token, this.key, { issuer: ISSUER, algorithms: ['HS256'] });
      const client = payload.sub ? await this.clients.getClient(payload.sub) : undefined;
      return client && client.revokedAt === undefined ? client : undefined;
    } catch {
      return undefined;
    }
  }
}
