// The sign-in link of a server on loopback (docs/operations.md "Signing in"): at each start a random one-time
// secret, printed as `http://127.0.0.1:8080/#signin=<secret>`; the web UI trades it for a normal
// access token (POST /open-api/v1/auth/link) and it is spent. Only its SHA-256 is kept, in this
// process's memory: nothing of it reaches the store, and a restart makes the old link useless.
// The secret travels in the URL's fragment, which a browser never sends (no server log, no
// Referer, no proxy sees it), and then in an Authorization header.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { localWebClient } from '../tasks/clients.js';
import type { Client, ClientStore } from '../tasks/ports.js';

const digest = (secret: string) => createHash('sha256').update(secret).digest();

export class SignInLink {
  private pending: Buffer | undefined;

  private constructor(
    private readonly clients: ClientStore,
    secret: string,
  ) {
    this.pending = digest(secret);
  }

  /** A link with a fresh secret: the secret goes into the printed URL and is kept nowhere else. */
  static create(clients: ClientStore): { link: SignInLink; secret: string } {
    const secret = randomBytes(32).toString('base64url');
    return { link: new SignInLink(clients, secret), secret };
  }

  /** Whether the link is still unspent. */
  get active(): boolean {
    return this.pending !== undefined;
  }

  /**
   * The web UI's client, the first time the secret is given; undefined for a wrong secret, and for
   * every use after the first (the secret is forgotten before anything is awaited, so two requests
   * at once cannot both have it).
   */
  async redeem(secret: string): Promise<Client | undefined> {
    const pending = this.pending;
    if (!pending || !timingSafeEqual(digest(secret), pending)) return undefined;
    this.pending = undefined;
    return localWebClient(this.clients);
  }
}
