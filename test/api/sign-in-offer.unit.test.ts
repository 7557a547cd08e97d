// Which servers print a sign-in link (server.ts signInLinkOffered): only one nobody but this
// machine's users can reach. Every spelling of loopback counts; any address others may reach, a
// host name, a proxy in front (DEPTHMILL_PUBLIC_URL) or a split deployment does not.
import { describe, expect, it } from 'vitest';
import { isLoopbackHost } from '../../src/config.js';
import { signInLinkOffered } from '../../src/server.js';

describe('the sign-in link is offered', () => {
  it('on every loopback address and localhost', () => {
    for (const host of ['127.0.0.1', '127.4.5.6', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', 'localhost', 'LOCALHOST'])
      expect(isLoopbackHost(host), host).toBe(true);
    expect(signInLinkOffered({ role: 'all', host: '127.0.0.1', publicUrl: undefined })).toBe(true);
  });

  it('not on an address or name others may reach, behind a public URL, or by a process that is not the whole server', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.20', '10.0.0.1', 'fe80::1', 'myhost', 'localhost.example.com', '128.0.0.1'])
      expect(isLoopbackHost(host), host).toBe(false);
    expect(signInLinkOffered({ role: 'all', host: '127.0.0.1', publicUrl: 'https://depth.example.com' })).toBe(false);
    expect(signInLinkOffered({ role: 'api', host: '127.0.0.1', publicUrl: undefined })).toBe(false);
  });
});
