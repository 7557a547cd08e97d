// The error catalog a client reads: one HTTP status per code (a client that reads the status and
// one that reads `code` hear the same thing), and the short codes are their status.
import { describe, expect, it } from 'vitest';
import { Errors } from '../../src/contract/errors.js';

describe('the error catalog', () => {
  it('gives every code one HTTP status, and the short codes their own status', () => {
    const statuses = new Map<number, Set<number>>();
    for (const entry of Object.values(Errors)) statuses.set(entry.code, (statuses.get(entry.code) ?? new Set()).add(entry.status));
    for (const [code, seen] of statuses) {
      expect([...seen], `code ${code}`).toHaveLength(1);
      if (code < 1000 && code !== 200) expect([...seen][0], `code ${code}`).toBe(code);
    }
  });
});
