// The SDK signs and checks callbacks with its own HMAC-SHA256 (it may import nothing, not even
// node:crypto): here, against node:crypto's, on the standard's test vectors and on random keys and
// messages of every length around the block boundaries.
import { createHash, createHmac } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { callbackKeyFor, signCallback, verifyCallback } from '@depthmill/client/contract';
import { constantTimeEqual, hmacSha256, sha256, toHex } from '../../packages/client/src/contract/hmac-sha256.js';

describe("the SDK's HMAC-SHA256", () => {
  it('gives the standard digests (FIPS 180-4 examples, RFC 4231 case 2)', () => {
    expect(toHex(sha256(new TextEncoder().encode('abc')))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(toHex(sha256(new Uint8Array(0)))).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(toHex(hmacSha256('Jefe', 'what do ya want for nothing?'))).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it("equals node:crypto's for any key and message, including lengths around 55, 56, 64 bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 300 }), (key, message) => {
        expect(toHex(sha256(message))).toBe(createHash('sha256').update(message).digest('hex'));
        expect(toHex(hmacSha256(key, message))).toBe(createHmac('sha256', key).update(message).digest('hex'));
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 100 }), fc.string({ unit: 'grapheme', maxLength: 400 }), (key, text) => {
        expect(toHex(hmacSha256(key, text))).toBe(createHmac('sha256', key).update(text).digest('hex'));
      }),
    );
  });

  it('compares only equal strings equal', () => {
    expect(constantTimeEqual('ab12', 'ab12')).toBe(true);
    expect(constantTimeEqual('ab12', 'ab13')).toBe(false);
    expect(constantTimeEqual('ab12', 'ab1')).toBe(false);
  });
});

describe('callback signatures', () => {
  it('are what a receiver computes with node:crypto from its client secret (docs/API.md "Callback")', () => {
    const secret = 'a client secret';
    const body = JSON.stringify({ task_id: 't1', state: 'success', note: 'déjà vu' });
    const now = Date.UTC(2026, 0, 1);
    const key = createHmac('sha256', secret).update('depthmill-callback-v1').digest('hex');
    expect(callbackKeyFor(secret)).toBe(key);
    const header = signCallback(callbackKeyFor(secret), body, now);
    const t = Math.floor(now / 1000);
    expect(header).toBe(`t=${t},v1=${createHmac('sha256', key).update(`${t}.${body}`).digest('hex')}`);
    expect(verifyCallback(body, header, secret, now)).toBe(true);
    expect(verifyCallback(`${body} `, header, secret, now)).toBe(false);
    expect(verifyCallback(body, header, 'another secret', now)).toBe(false);
  });
});
