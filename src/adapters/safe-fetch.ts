// Outbound HTTP for image_url and callback_url that cannot be turned against the server (SSRF):
// http and https only; every address a name resolves to is checked against private, loopback,
// link-local, CGNAT, multicast and reserved ranges (IPv4, IPv6 and IPv4-mapped IPv6), and the
// connection goes to the address that was checked (the check runs inside the socket's own DNS
// lookup, so a second, different DNS answer cannot slip in); every redirect is checked again, at
// most 3. Literal addresses in decimal, octal or hex forms are normalised by the URL parser first.
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch as undiciFetch, type RequestInit as UndiciRequestInit } from 'undici';
import type { OutboundFetch } from '../tasks/ports.js';

/** A URL the guard will not fetch; `name` lets callers tell it from a network failure. */
export class FetchRefused extends Error {
  override readonly name = 'FetchRefused';
}

const BLOCKED_V4 = [
  ['0.0.0.0', 8, 'this network'],
  ['10.0.0.0', 8, 'private'],
  ['100.64.0.0', 10, 'CGNAT'],
  ['127.0.0.0', 8, 'loopback'],
  ['169.254.0.0', 16, 'link-local'],
  ['172.16.0.0', 12, 'private'],
  ['192.0.0.0', 24, 'reserved'],
  ['192.0.2.0', 24, 'documentation'],
  ['192.88.99.0', 24, 'reserved'],
  ['192.168.0.0', 16, 'private'],
  ['198.18.0.0', 15, 'benchmarking'],
  ['198.51.100.0', 24, 'documentation'],
  ['203.0.113.0', 24, 'documentation'],
  ['224.0.0.0', 4, 'multicast'],
  ['240.0.0.0', 4, 'reserved'],
] as const;

const BLOCKED_V6 = [
  ['::', 128, 'unspecified'],
  ['::1', 128, 'loopback'],
  ['64:ff9b::', 96, 'NAT64'],
  ['64:ff9b:1::', 48, 'NAT64'],
  ['100::', 64, 'discard'],
  ['2001::', 23, 'reserved (IETF protocol assignments, Teredo)'],
  ['2001:db8::', 32, 'documentation'],
  ['2002::', 16, '6to4'],
  ['fc00::', 7, 'private (unique local)'],
  ['fe80::', 10, 'link-local'],
  ['fec0::', 10, 'site-local'],
  ['ff00::', 8, 'multicast'],
] as const;

function rangeList(ranges: readonly (readonly [string, number, string])[], family: 'ipv4' | 'ipv6'): [BlockList, string][] {
  return ranges.map(([network, prefix, label]) => {
    const list = new BlockList();
    list.addSubnet(network, prefix, family);
    return [list, label];
  });
}

const V4_RANGES = rangeList(BLOCKED_V4, 'ipv4');
const V6_RANGES = rangeList(BLOCKED_V6, 'ipv6');

/** The embedded IPv4 address of an IPv4-mapped (::ffff:a.b.c.d) or -compatible IPv6 address. */
function embeddedV4(address: string): string | undefined {
  const match = /^::(?:ffff:(?:0:)?)?(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):([0-9a-f]{1,4}))$/i.exec(address);
  if (!match) return undefined;
  if (match[1]) return match[1];
  const high = parseInt(match[2]!, 16);
  const low = parseInt(match[3]!, 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/** Why an address must not be fetched from, or undefined when it is a public address. */
export function blockedReason(address: string): string | undefined {
  const family = isIP(address);
  if (family === 4) return V4_RANGES.find(([list]) => list.check(address, 'ipv4'))?.[1];
  if (family === 6) {
    const v4 = embeddedV4(address);
    if (v4) return blockedReason(v4) ?? 'IPv4-mapped';
    return V6_RANGES.find(([list]) => list.check(address, 'ipv6'))?.[1];
  }
  return 'not an IP address';
}

export interface SafeFetchOptions {
  /** Hosts (names or addresses) trusted although internal, e.g. a company's image server. */
  allowlist?: readonly string[];
  maxRedirects?: number;
}

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

export function createSafeFetch(options: SafeFetchOptions = {}): OutboundFetch {
  const allowed = new Set(
    (options.allowlist ?? [])
      .map((host) =>
        host
          .trim()
          .toLowerCase()
          .replace(/^\[|\]$/g, ''),
      )
      .filter(Boolean),
  );
  const maxRedirects = options.maxRedirects ?? 3;

  // Runs as the socket's DNS lookup: what it returns is what the socket connects to.
  const checkedLookup = (hostname: string, lookupOptions: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    dnsLookup(hostname, { all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error);
      const usable = allowed.has(hostname.toLowerCase())
        ? addresses
        : addresses.filter(({ address }) => blockedReason(address) === undefined);
      if (usable.length === 0 || usable.length !== addresses.length) {
        const [first] = addresses.filter(({ address }) => blockedReason(address) !== undefined);
        return callback(
          new FetchRefused(`${hostname} resolves to ${first?.address} (${first && blockedReason(first.address)}), which is not allowed`),
        );
      }
      if (lookupOptions.all) return callback(null, usable);
      return callback(null, usable[0]!.address, usable[0]!.family);
    });
  };
  const agent = new Agent({ connect: { lookup: checkedLookup as never }, headersTimeout: 30_000, bodyTimeout: 30_000 });

  function check(url: URL): void {
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new FetchRefused(`only http and https URLs are fetched, not ${url.protocol}`);
    if (url.username || url.password) throw new FetchRefused('URLs with credentials are not fetched');
    const host = hostOf(url);
    if (allowed.has(host)) return;
    if (isIP(host)) {
      const reason = blockedReason(host);
      if (reason) throw new FetchRefused(`${host} is a ${reason} address, which is not allowed`);
    } else if (host === 'localhost' || host.endsWith('.localhost')) {
      throw new FetchRefused(`${host} is a loopback name, which is not allowed`);
    }
  }

  const guardedFetch = async (input: string, init: Parameters<OutboundFetch>[1] = {}): Promise<Response> => {
    let url = new URL(input);
    for (let redirects = 0; ; redirects++) {
      check(url);
      const response = (await undiciFetch(url, {
        ...(init as UndiciRequestInit),
        redirect: 'manual',
        dispatcher: agent,
      })) as unknown as Response;
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return response;
      await response.body?.cancel();
      if (redirects >= maxRedirects) throw new FetchRefused(`more than ${maxRedirects} redirects`);
      url = new URL(location, url);
      // A redirect turns a POST into a GET only for 301-303; keep it simple and safe: follow
      // redirects for GET only (callbacks are POSTs and are not redirected).
      if ((init.method ?? 'GET') !== 'GET')
        throw new FetchRefused(`redirected (HTTP ${response.status}); callbacks do not follow redirects`);
    }
  };
  const refusal = async (input: string): Promise<string | undefined> => {
    try {
      const url = new URL(input);
      check(url);
      const host = hostOf(url);
      if (isIP(host) || allowed.has(host)) return undefined;
      await new Promise<void>((resolve, reject) => {
        checkedLookup(host, { all: true }, (error) => (error instanceof FetchRefused ? reject(error) : resolve()));
      });
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  };
  return Object.assign(guardedFetch, { refusal });
}
