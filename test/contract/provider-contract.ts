import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FirewallProvider, PortRange, ProviderEntry, ResourceTarget } from '../../src/engine/ports.ts';

/**
 * What a provider kind must give the shared contract suite. Each kind's harness drives the real
 * provider against its loopback emulator (or, for `script`, a temp folder).
 */
export interface ProviderHarness {
  provider: FirewallProvider;
  /** A fresh, empty target for one test (ports default to tcp/22). */
  newResource(opts?: { ports?: PortRange[] }): Promise<ResourceTarget>;
  /** The CIDRs the cloud holds for this resource right now, read from the emulator's state (not via the provider). */
  cloudCidrs(resource: ResourceTarget): Promise<string[]>;
  /** The next mutating call(s) of this resource fail with the emulator's throttling error. */
  throttle(resource: ResourceTarget): Promise<void> | void;
  /**
   * Arranges that, of `cidrs` added in one apply, some fail permanently and the others succeed
   * (a quota that fits only part of them, a script that refuses one …). Returns the ones that will fail.
   */
  arrangePartialFailure(resource: ResourceTarget, cidrs: string[]): Promise<string[]>;
  /**
   * Takes `port` away from `cidr` the way a person in the console would, leaving its other ports:
   * deletes that rule (security group) or takes the port out of the managed rule carrying the CIDR
   * (Azure, GCP). Only for kinds with `perPortRules`.
   */
  dropPort?(resource: ResourceTarget, cidr: string, port: PortRange): Promise<void>;
  /** Puts someone else's rule (or entry) next to ours; returns a reader of its current state. */
  seedForeign(resource: ResourceTarget): Promise<() => Promise<unknown>>;
  clearFaults(): Promise<void> | void;
  close(): Promise<void>;
}

/** What a kind can tell apart, which decides the drift cases that apply to it. */
export interface ProviderFeatures {
  /** Rules per CIDR × port (or per protocol), so one port of a CIDR can go missing on its own. */
  perPortRules: boolean;
  /** list() shows entries EntryGuard did not create (see FirewallProvider.listsForeignEntries). */
  listsForeignEntries: boolean;
}

const V4 = ['198.51.100.7/32', '198.51.100.8/32', '203.0.113.9/32'];
const V6 = ['2001:db8::7/128', '2001:db8:1::9/128'];
const WEB: PortRange[] = [
  { protocol: 'tcp', from: 22, to: 22 },
  { protocol: 'tcp', from: 443, to: 443 },
];

const entryOf = (listed: ProviderEntry[] | undefined, cidr: string) => listed?.find((e) => e.cidr === cidr);

export function describeProviderContract(kind: string, features: ProviderFeatures, createHarness: () => Promise<ProviderHarness>): void {
  describe(`provider contract: ${kind}`, () => {
    let h: ProviderHarness;
    let resource: ResourceTarget;

    beforeAll(async () => {
      h = await createHarness();
    });
    afterAll(async () => {
      await h?.close();
    });
    beforeEach(async () => {
      await h.clearFaults();
      resource = await h.newResource();
    });

    it('applies an add twice and holds one entry', async () => {
      const first = await h.provider.apply(resource, { add: [V4[0]!], remove: [] });
      expect(first.added.get(V4[0]!)).toMatchObject({ ok: true });
      const second = await h.provider.apply(resource, { add: [V4[0]!], remove: [] });
      expect(second.added.get(V4[0]!)).toMatchObject({ ok: true });
      expect(await h.cloudCidrs(resource)).toEqual([V4[0]]);
    });

    it('lists what it manages', async () => {
      await h.provider.apply(resource, { add: [V4[0]!, V4[1]!], remove: [] });
      const listed = await h.provider.list(resource);
      if (listed !== undefined) expect(listed.map((e) => e.cidr).sort()).toEqual([V4[0], V4[1]].sort());
    });

    it('removes what is absent without error', async () => {
      const result = await h.provider.apply(resource, { add: [], remove: [V4[2]!] });
      expect(result.removed.get(V4[2]!)).toMatchObject({ ok: true });
    });

    it('adds and removes in one change', async () => {
      await h.provider.apply(resource, { add: [V4[0]!, V4[1]!], remove: [] });
      const result = await h.provider.apply(resource, { add: [V4[2]!], remove: [V4[0]!] });
      expect(result.added.get(V4[2]!)).toMatchObject({ ok: true });
      expect(result.removed.get(V4[0]!)).toMatchObject({ ok: true });
      expect((await h.cloudCidrs(resource)).sort()).toEqual([V4[1], V4[2]].sort());
    });

    it('reports a partial batch failure per CIDR', async () => {
      const failing = await h.arrangePartialFailure(resource, V4);
      expect(failing.length).toBeGreaterThan(0);
      expect(failing.length).toBeLessThan(V4.length);
      const result = await h.provider.apply(resource, { add: V4, remove: [] });
      for (const cidr of V4) {
        const outcome = result.added.get(cidr);
        if (failing.includes(cidr)) {
          expect(outcome).toMatchObject({ ok: false });
          if (outcome && !outcome.ok) {
            expect(outcome.error.retryable).toBe(false);
            expect(outcome.error.message.length).toBeGreaterThan(5);
          }
        } else {
          expect(outcome).toMatchObject({ ok: true });
        }
      }
      expect((await h.cloudCidrs(resource)).sort()).toEqual(V4.filter((c) => !failing.includes(c)).sort());
    });

    it('maps throttling to a retryable error', async () => {
      await h.throttle(resource);
      let retryable: boolean | undefined;
      try {
        const result = await h.provider.apply(resource, { add: [V4[0]!], remove: [] });
        const outcome = result.added.get(V4[0]!);
        retryable = outcome && !outcome.ok ? outcome.error.retryable : undefined;
      } catch (err) {
        retryable = (err as { retryable?: boolean }).retryable;
      }
      expect(retryable).toBe(true);
      await h.clearFaults();
      const again = await h.provider.apply(resource, { add: [V4[0]!], remove: [] });
      expect(again.added.get(V4[0]!)).toMatchObject({ ok: true });
    });

    it('handles IPv6 next to IPv4', async () => {
      const result = await h.provider.apply(resource, { add: [V4[0]!, ...V6], remove: [] });
      for (const cidr of [V4[0]!, ...V6]) expect(result.added.get(cidr)).toMatchObject({ ok: true });
      expect((await h.cloudCidrs(resource)).sort()).toEqual([V4[0], ...V6].sort());
      await h.provider.apply(resource, { add: [], remove: V6 });
      expect(await h.cloudCidrs(resource)).toEqual([V4[0]]);
    });

    it('verifies a reachable target', async () => {
      const v = await h.provider.verify(resource);
      expect(v).toMatchObject({ reachable: true, permitted: true });
    });

    it('says whether its list may show entries it did not create', () => {
      expect(h.provider.listsForeignEntries).toBe(features.listsForeignEntries);
    });

    it('lists what it applied as intact; repairing an intact CIDR changes nothing else', async () => {
      resource = await h.newResource({ ports: WEB });
      const foreign = await h.seedForeign(resource);
      const before = await foreign();
      await h.provider.apply(resource, { add: [V4[0]!, V6[0]!], remove: [] });
      const listed = await h.provider.list(resource);
      for (const cidr of [V4[0]!, V6[0]!]) {
        if (listed) expect(entryOf(listed, cidr)).toBeDefined();
        expect(entryOf(listed, cidr)?.intact).not.toBe(false);
      }
      const result = await h.provider.apply(resource, { add: [], remove: [], repair: [V4[0]!] });
      expect(result.added.get(V4[0]!)).toMatchObject({ ok: true });
      expect((await h.cloudCidrs(resource)).sort()).toEqual([V4[0], V6[0]].sort());
      expect(await foreign()).toEqual(before);
    });

    it('repairs a CIDR that is gone altogether by applying it again', async () => {
      const result = await h.provider.apply(resource, { add: [], remove: [], repair: [V4[1]!] });
      expect(result.added.get(V4[1]!)).toMatchObject({ ok: true });
      expect(await h.cloudCidrs(resource)).toEqual([V4[1]]);
    });

    if (features.perPortRules) {
      it('repairs a CIDR one of whose ports was removed, leaving the foreign rule alone', async () => {
        resource = await h.newResource({ ports: WEB });
        await h.provider.apply(resource, { add: [V4[0]!, V4[1]!], remove: [] });
        const foreign = await h.seedForeign(resource);
        const before = await foreign();
        await h.dropPort!(resource, V4[0]!, WEB[1]!);

        const broken = entryOf(await h.provider.list(resource), V4[0]!);
        expect(broken).toMatchObject({ intact: false });
        expect(broken?.problems?.join('; ')).toMatch(/tcp\/443/);

        const result = await h.provider.apply(resource, { add: [], remove: [], repair: [V4[0]!] });
        expect(result.added.get(V4[0]!)).toMatchObject({ ok: true });
        const after = await h.provider.list(resource);
        for (const cidr of [V4[0]!, V4[1]!]) expect(entryOf(after, cidr)).toMatchObject({ intact: true });
        expect(await foreign()).toEqual(before);
      });

      it('completes a CIDR whose rules partly exist when it is added again', async () => {
        resource = await h.newResource({ ports: WEB });
        await h.provider.apply(resource, { add: [V6[0]!], remove: [] });
        await h.dropPort!(resource, V6[0]!, WEB[1]!);
        const result = await h.provider.apply(resource, { add: [V6[0]!], remove: [] });
        expect(result.added.get(V6[0]!)).toMatchObject({ ok: true });
        expect(entryOf(await h.provider.list(resource), V6[0]!)).toMatchObject({ intact: true });
      });
    }
  });
}
