import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalIp, cidrContains, clientNetwork, hostCidr, ipVersion, normalizeIp } from './ip.ts';

/*
 * Property-based: an IPv6 address has many spellings (leading zeros or not, any case, `::` for
 * any one run of zero groups, the last 32 bits as a dotted quad). Every spelling must mean the
 * same address everywhere: parsing, CIDRs, containment, the client's /64.
 */

const groupsOf = (value: bigint) => [...Array(8).keys()].map((i) => Number((value >> BigInt((7 - i) * 16)) & 0xffffn));

/** Addresses with long zero runs are the interesting ones, so zero groups are drawn often. */
const address = fc
  .array(fc.oneof({ arbitrary: fc.constant(0), weight: 2 }, { arbitrary: fc.integer({ min: 0, max: 0xffff }), weight: 3 }), { minLength: 8, maxLength: 8 })
  .map((gs) => gs.reduce((acc, g) => (acc << 16n) | BigInt(g), 0n));

/** One textual form of `value`: per-group padding and case, optional `::` over any zero run, optional dotted tail. */
const spelling = (value: bigint) =>
  fc
    .record({
      pads: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 8, maxLength: 8 }),
      upper: fc.array(fc.boolean(), { minLength: 8, maxLength: 8 }),
      compressPick: fc.nat(),
      compress: fc.boolean(),
      dotted: fc.boolean(),
    })
    .map(({ pads, upper, compressPick, compress, dotted }) => {
      const gs = groupsOf(value);
      const text = gs.map((g, i) => {
        const hex = g.toString(16).padStart(pads[i]!, '0');
        return upper[i] ? hex.toUpperCase() : hex;
      });
      let tail: string[] = [];
      let head = text;
      if (dotted) {
        const v4 = [gs[6]! >> 8, gs[6]! & 0xff, gs[7]! >> 8, gs[7]! & 0xff].join('.');
        head = text.slice(0, 6);
        tail = [v4];
      }
      // Runs of zero groups within the hex part, any of which may be written as `::`.
      const runs: [number, number][] = [];
      for (let i = 0; i < head.length; i++) {
        if (gs[i] !== 0) continue;
        let j = i;
        while (j + 1 < head.length && gs[j + 1] === 0) j++;
        for (let a = i; a <= j; a++) for (let b = a; b <= j; b++) runs.push([a, b]);
        i = j;
      }
      if (compress && runs.length) {
        const [a, b] = runs[compressPick % runs.length]!;
        const left = head.slice(0, a).join(':');
        const right = [...head.slice(b + 1), ...tail].join(':');
        return `${left}::${right}`;
      }
      return [...head, ...tail].join(':');
    });

const canonicalOf = (value: bigint) => {
  // The RFC 5952 form computed independently: the first longest run of two or more zero groups becomes `::`.
  const gs = groupsOf(value);
  let best: [number, number] | undefined;
  for (let i = 0; i < 8; i++) {
    if (gs[i] !== 0) continue;
    let j = i;
    while (j + 1 < 8 && gs[j + 1] === 0) j++;
    if (j > i && (!best || j - i > best[1] - best[0])) best = [i, j];
    i = j;
  }
  const hex = gs.map((g) => g.toString(16));
  if (!best) return hex.join(':');
  return `${hex.slice(0, best[0]).join(':')}::${hex.slice(best[1] + 1).join(':')}`;
};

/** The mapped IPv4 range ::ffff:0:0/96 stands for IPv4 clients; those are unmapped on purpose. */
const isMapped = (value: bigint) => value >> 32n === 0xffffn;

describe('IPv6 spellings (property-based)', () => {
  it('every spelling of an address has the one canonical (RFC 5952) form', () => {
    fc.assert(
      fc.property(
        address.chain((v) => fc.tuple(fc.constant(v), spelling(v))),
        ([value, text]) => {
          expect(ipVersion(text)).toBe(6);
          expect(canonicalIp(text)).toBe(canonicalOf(value));
          if (!isMapped(value)) {
            expect(normalizeIp(text)).toBe(canonicalOf(value));
            expect(hostCidr(text)).toBe(`${canonicalOf(value)}/128`);
          }
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('containment and the client /64 do not depend on how either side is written', () => {
    fc.assert(
      fc.property(
        address.chain((v) => fc.tuple(fc.constant(v), spelling(v), spelling(v), fc.integer({ min: 0, max: 128 }), address)),
        ([value, a, b, bits, other]) => {
          expect(cidrContains(`${a}/128`, b)).toBe(true);
          expect(cidrContains(`${a}/${bits}`, b)).toBe(true);
          const sameNetwork = bits === 0 || value >> BigInt(128 - bits) === other >> BigInt(128 - bits);
          expect(cidrContains(`${a}/${bits}`, canonicalOf(other))).toBe(sameNetwork);
          if (!isMapped(value)) expect(clientNetwork(a)).toBe(clientNetwork(b));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('an address written out without `::` keeps its tail (the probe of issue 10)', () => {
    expect(cidrContains('2001:db8::/120', '2001:db8:0:0:1:2:3:4')).toBe(false);
    expect(cidrContains('2001:db8::1:2:3:0/120', '2001:db8:0:0:1:2:3:4')).toBe(true);
    expect(clientNetwork('2001:db8:0:0:1:2:3:4')).toBe('2001:db8::/64');
  });

  it('unmaps IPv4-mapped addresses however they are written', () => {
    for (const text of ['::ffff:203.0.113.7', '0:0:0:0:0:ffff:203.0.113.7', '::FFFF:cb00:7107', '0000:0000:0000:0000:0000:ffff:cb00:7107']) {
      expect(normalizeIp(text)).toBe('203.0.113.7');
    }
  });

  it('refuses what is not an address', () => {
    for (const text of ['', '1:2:3:4:5:6:7', '1:2:3:4:5:6:7:8:9', '::1::', 'g::1', '12345::', '1.2.3', '256.1.1.1', 'fe80::1%eth0', ' ::1 x']) {
      expect(canonicalIp(text)).toBeUndefined();
    }
  });
});
