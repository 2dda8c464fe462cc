import { describe, expect, it } from 'vitest';
import { cidrContains, clientNetwork, hostCidr, normalizeIp } from './ip.ts';

describe('ip helpers', () => {
  it('normalizes IPv4-mapped IPv6 and canonicalises IPv6', () => {
    expect(normalizeIp('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(hostCidr('203.0.113.7')).toBe('203.0.113.7/32');
    expect(hostCidr('2001:DB8:0:0:0:0:0:7')).toBe('2001:db8::7/128');
  });

  it('tests containment for both families', () => {
    expect(cidrContains('10.0.0.0/8', '10.1.2.3')).toBe(true);
    expect(cidrContains('10.0.0.0/8', '11.1.2.3')).toBe(false);
    expect(cidrContains('127.0.0.1', '127.0.0.1')).toBe(true);
    expect(cidrContains('2001:db8::/32', '2001:db8:ffff::1')).toBe(true);
    expect(cidrContains('2001:db8::/32', '2001:db9::1')).toBe(false);
    expect(cidrContains('10.0.0.0/8', '2001:db8::1')).toBe(false);
  });

  it('counts an IPv6 client by its /64 and an IPv4 client by its address', () => {
    expect(clientNetwork('203.0.113.7')).toBe('203.0.113.7');
    expect(clientNetwork('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('2001:db8:1:2:ffff:ffff:ffff:ffff')).toBe('2001:db8:1:2::/64');
    expect(clientNetwork('::1')).toBe('::/64');
  });
});
