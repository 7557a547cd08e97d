// The SDK signs and checks callbacks with @noble/hashes' HMAC-SHA256 (it imports no node:crypto, so
// it runs in browsers): what a receiver computes with node:crypto from its client secret must agree.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { callbackKeyFor, signCallback, verifyCallback } from '@depthmill/client/contract';

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
    expect(verifyCallback(body, header, secret, now + 301_000), 'older than 5 minutes').toBe(false);
    expect(verifyCallback(body, header.slice(0, -1), secret, now), 'a digit short').toBe(false);
  });
});
