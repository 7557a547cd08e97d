// Client credentials: created by the operator, secret shown once, stored only as a scrypt hash.
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { callbackKeyFor } from '@depthmill/client/contract';
import { ApiError, Errors } from '../contract/errors.js';
import type { Client, ClientStore } from './ports.js';

function scrypt(password: string, salt: Buffer, keylen: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scryptCallback(password, salt, keylen, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

const SCRYPT = { N: 16384, r: 8, p: 1 };
const KEY_LENGTH = 32;

export async function hashSecret(secret: string): Promise<string> {
  const salt = randomBytes(16);
  const hash = await scrypt(secret, salt, KEY_LENGTH, SCRYPT);
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64url'), hash.toString('base64url')].join('$');
}

export async function secretMatches(secret: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64url');
  const actual = await scrypt(secret, Buffer.from(salt, 'base64url'), expected.length, { N: Number(n), r: Number(r), p: Number(p) });
  return timingSafeEqual(actual, expected);
}

export interface NewClient {
  client: Client;
  secret: string;
}

export async function createClient(store: ClientStore, name: string, now = Date.now()): Promise<NewClient> {
  const secret = randomBytes(32).toString('base64url');
  const client: Client = {
    id: `dm_${randomBytes(12).toString('hex')}`,
    name,
    secretHash: await hashSecret(secret),
    callbackKey: callbackKeyFor(secret),
    createdAt: now,
  };
  await store.insertClient(client);
  return { client, secret };
}

/** The client a sign-in link signs the web UI in as (`depthmill clients list` shows it). */
export const WEB_UI_CLIENT_NAME = 'web UI (sign-in link)';

/**
 * The client of the sign-in links (api/sign-in-link.ts): the oldest unrevoked one of that name, or a
 * new one, so a laptop keeps one client (its tasks, its balance) from start to start. Its secret is
 * never shown: only the links sign in as it. Revoking it ends its sessions; the next link makes a
 * new one.
 */
export async function localWebClient(store: ClientStore, now = Date.now()): Promise<Client> {
  const existing = (await store.listClients())
    .filter((client) => client.name === WEB_UI_CLIENT_NAME && client.revokedAt === undefined)
    .sort((a, b) => a.createdAt - b.createdAt)[0];
  return existing ?? (await createClient(store, WEB_UI_CLIENT_NAME, now)).client;
}

/**
 * Secret checks at once: each scrypt holds one of libuv's four threads (which also read and write
 * every file) for about 50 ms, so a flood of sign-ins must never take them all.
 */
const CHECKS_AT_ONCE = 1;
/** Checks that may wait for their turn; one more is refused at once (429), not queued. */
const CHECKS_WAITING = 16;

/** A bounded queue in front of the secret checks. */
class CheckGate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  async run<T>(check: () => Promise<T>): Promise<T> {
    if (this.running >= CHECKS_AT_ONCE) {
      if (this.waiting.length >= CHECKS_WAITING)
        throw new ApiError(Errors.rateLimited, 'too many sign-ins at once: retry in a second', { headers: { 'retry-after': '1' } });
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.running++;
    }
    try {
      return await check();
    } finally {
      // The turn passes straight to the next waiting check, or frees the slot.
      const next = this.waiting.shift();
      if (next) next();
      else this.running--;
    }
  }
}

const gate = new CheckGate();

// A fixed hash to compare against when the client id is unknown, so that an unknown id and a wrong
// secret take the same time and an attacker cannot tell which ids exist.
const decoyHash = hashSecret(randomBytes(16).toString('hex'));

/** The client, if the id exists, is not revoked and the secret matches. */
export async function authenticateClient(store: ClientStore, id: string, secret: string): Promise<Client | undefined> {
  const client = await store.getClient(id);
  const stored = client?.secretHash ?? (await decoyHash);
  const matches = await gate.run(() => secretMatches(secret, stored));
  return client && matches && client.revokedAt === undefined ? client : undefined;
}
