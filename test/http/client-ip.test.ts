import { describe, expect, it } from 'vitest';
import { createTrustCheck, resolveClientIp, wideTrustRanges } from '../../src/http/client-ip.ts';

const none = createTrustCheck([]);
const loopback = createTrustCheck(['loopback']);
const proxies = createTrustCheck(['10.0.0.0/8', '192.0.2.10', '2001:db8:ffff::/48']);

describe('createTrustCheck', () => {
  it('knows loopback, single addresses and CIDRs of both families', () => {
    expect(['127.0.0.1', '127.255.0.9', '::1'].every(loopback)).toBe(true);
    expect(loopback('128.0.0.1')).toBe(false);
    expect(loopback('::2')).toBe(false);
    expect(proxies('10.20.30.40')).toBe(true);
    expect(proxies('192.0.2.10')).toBe(true);
    expect(proxies('192.0.2.11')).toBe(false);
    expect(proxies('2001:db8:ffff:1::5')).toBe(true);
    expect(proxies('2001:db8:fffe::5')).toBe(false);
    expect(none('127.0.0.1')).toBe(false);
  });

  it('refuses entries that are not addresses', () => {
    expect(() => createTrustCheck(['10.0.0.0/33'])).toThrow(/TRUST_PROXY/);
    expect(() => createTrustCheck(['proxy.internal'])).toThrow(/proxy\.internal/);
    expect(() => createTrustCheck(['10.0.0.0/8/1'])).toThrow();
  });

  it('refuses a /0 (every address a proxy: X-Forwarded-For would pick the address we open) and names ranges wider than /16 or /48', () => {
    expect(() => createTrustCheck(['0.0.0.0/0'])).toThrow(/0\.0\.0\.0\/0.*every address/);
    expect(() => createTrustCheck(['10.0.0.0/8', '::/0'])).toThrow(/::\/0/);
    expect(wideTrustRanges(['loopback', '10.0.0.0/8', '172.16.0.0/12', '10.1.0.0/16', '192.0.2.7', '2001:db8::/32', '2001:db8:1::/48'])).toEqual([
      '10.0.0.0/8',
      '172.16.0.0/12',
      '2001:db8::/32',
    ]);
  });
});

describe('resolveClientIp', () => {
  it('is the peer address when the peer is not trusted, whatever X-Forwarded-For says', () => {
    expect(resolveClientIp('203.0.113.7', '198.51.100.1', none)).toBe('203.0.113.7');
    expect(resolveClientIp('203.0.113.7', '198.51.100.1', proxies)).toBe('203.0.113.7');
  });

  it('strips the IPv4-mapped prefix of dual-stack sockets', () => {
    expect(resolveClientIp('::ffff:203.0.113.7', undefined, none)).toBe('203.0.113.7');
    expect(resolveClientIp('::ffff:127.0.0.1', '198.51.100.1', loopback)).toBe('198.51.100.1');
  });

  it('reads X-Forwarded-For right to left from a trusted peer: the first untrusted address wins', () => {
    // The client forged "1.1.1.1"; our proxies appended the real client and each other.
    expect(resolveClientIp('10.0.0.2', '1.1.1.1, 198.51.100.9, 10.0.0.7', proxies)).toBe('198.51.100.9');
    expect(resolveClientIp('10.0.0.2', ['1.1.1.1', '198.51.100.9'], proxies)).toBe('198.51.100.9');
    expect(resolveClientIp('::1', '2001:db8::42', loopback)).toBe('2001:db8::42');
  });

  it('uses the leftmost hop when every hop is trusted, the peer when the header is empty', () => {
    expect(resolveClientIp('10.0.0.2', '10.1.2.3, 10.0.0.7', proxies)).toBe('10.1.2.3');
    expect(resolveClientIp('127.0.0.1', undefined, loopback)).toBe('127.0.0.1');
    expect(resolveClientIp('127.0.0.1', ' , ', loopback)).toBe('127.0.0.1');
  });

  it('reads a hop a proxy wrote as uncompressed IPv6 as the address it is (never as a trusted neighbour)', () => {
    // The real client 2001:db8::1:2:3:4 is outside the proxies' /120; read without its tail it
    // looked like 2001:db8:: (trusted) and the spoofed hop to its left won.
    const v6proxies = createTrustCheck(['2001:db8::/120']);
    expect(resolveClientIp('2001:db8::5', '198.51.100.66, 2001:db8:0:0:1:2:3:4', v6proxies)).toBe('2001:db8::1:2:3:4');
    expect(resolveClientIp('2001:db8::5', '198.51.100.66, 2001:0DB8:0000:0000:0000:0000:0000:0007', v6proxies)).toBe('198.51.100.66');
  });

  it('accepts ports and brackets some proxies add', () => {
    expect(resolveClientIp('127.0.0.1', '198.51.100.9:52311', loopback)).toBe('198.51.100.9');
    expect(resolveClientIp('127.0.0.1', '[2001:db8::42]:443', loopback)).toBe('2001:db8::42');
    expect(resolveClientIp('127.0.0.1', '[2001:db8::43]', loopback)).toBe('2001:db8::43');
  });

  it('gives up rather than guess when a trusted hop wrote garbage, or there is no peer', () => {
    expect(resolveClientIp('127.0.0.1', '198.51.100.9, unknown', loopback)).toBeUndefined();
    expect(resolveClientIp('127.0.0.1', 'not-an-ip', loopback)).toBeUndefined();
    // Garbage left of the first untrusted hop is the client's own text and does not matter.
    expect(resolveClientIp('127.0.0.1', 'garbage, 198.51.100.9', loopback)).toBe('198.51.100.9');
    expect(resolveClientIp(undefined, '198.51.100.9', loopback)).toBeUndefined();
    expect(resolveClientIp('nonsense', undefined, none)).toBeUndefined();
  });
});
