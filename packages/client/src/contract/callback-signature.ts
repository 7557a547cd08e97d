// Callback signatures, in the style of Stripe webhooks: an HMAC-SHA256 over "<timestamp>.<body>",
// sent as `Depthmill-Signature: t=<unix seconds>,v1=<hex>`. The key is callbackKeyFor(secret), so a
// receiver needs only its own client secret to check a callback (the SDK's verifyCallback).
// The HMAC is @noble/hashes' (audited, pure JavaScript, no dependencies): synchronous like
// node:crypto's, so verifyCallback stays a plain boolean, yet it runs wherever the SDK does (browsers,
// Deno, workers), where node:crypto is absent and Web Crypto's HMAC is asynchronous only.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';

function hmacSha256Hex(key: string, message: string): string {
  return bytesToHex(hmac(sha256, utf8ToBytes(key), utf8ToBytes(message)));
}

/** Equal strings compared in a time that does not depend on where they first differ. */
function constantTimeEqual(a: string, b: string): boolean {
  let difference = a.length ^ b.length;
  for (let i = 0; i < Math.min(a.length, b.length); i++) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
}

/**
 * The key callbacks are signed with. Receivers derive it from their own secret the same way
 * (docs/API.md "Callback"), so the server never needs the secret itself after creation.
 */
export function callbackKeyFor(secret: string): string {
  return hmacSha256Hex(secret, 'depthmill-callback-v1');
}

export const SIGNATURE_HEADER = 'depthmill-signature';
/** Signatures older than this are refused by verifyCallback, against replays. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

export function signCallback(callbackKey: string, body: string, now = Date.now()): string {
  const timestamp = Math.floor(now / 1000);
  const mac = hmacSha256Hex(callbackKey, `${timestamp}.${body}`);
  return `t=${timestamp},v1=${mac}`;
}

/** True when the header signs this exact body with the key derived from clientSecret, recently. */
export function verifyCallback(body: string, header: string | undefined, clientSecret: string, now = Date.now()): boolean {
  if (!header) return false;
  const parts = new Map(header.split(',').map((part) => part.split('=', 2) as [string, string]));
  const timestamp = Number(parts.get('t'));
  const mac = parts.get('v1');
  if (!Number.isInteger(timestamp) || !mac || !/^[0-9a-f]{64}$/.test(mac)) return false;
  if (Math.abs(now / 1000 - timestamp) > SIGNATURE_TOLERANCE_SECONDS) return false;
  const expected = hmacSha256Hex(callbackKeyFor(clientSecret), `${timestamp}.${body}`);
  return constantTimeEqual(expected, mac);
}
