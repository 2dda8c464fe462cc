import { createApiKey, API_SCOPES } from '../../src/engine/api-keys.ts';
import { systemActor } from '../../src/engine/audit.ts';
import type { Db } from '../../src/db/client.ts';
import { seedOrg, seedResource, seedRole, seedUser } from '../helpers/seed.ts';

export interface BenchUser {
  id: string;
  orgId: string;
  email: string;
  key: string;
  /** The resources this user's role opens. */
  resourceIds: string[];
}

/** Creates the resources a scenario opens (in-memory firewalls by default, or the cloud emulators'). */
export type ResourceSeeder = (db: Db, orgId: string, count: number) => Promise<{ id: string }[]>;

export const memoryResources: ResourceSeeder = async (db, orgId, count) => {
  const rows = [];
  for (let i = 0; i < count; i++) rows.push(await seedResource(db, orgId, { name: `bench-${i}`, kind: 'memory' }));
  return rows;
};

/**
 * An org on the team plan (no concurrency limit), `users` members over `resources` resources: one
 * role holding them all, or with `perUser`, one role per window of `perUser` consecutive
 * resources (user i in window i mod windows), so a burst over many firewalls opens a few each.
 * The per-person throttle is set out of reach: benchmarks and the soak measure the engine, and
 * start many sessions per person on purpose.
 */
export async function seedBenchOrg(db: Db, opts: { users: number; resources: number; seed?: ResourceSeeder; perUser?: number }) {
  const org = await seedOrg(db, { plan: 'team', settings: { actionsPerMinute: 1_000_000 } });
  const resources = await (opts.seed ?? memoryResources)(db, org.id, opts.resources);
  const users: BenchUser[] = new Array<BenchUser>(opts.users);
  // A few at a time: thousands of users one by one take minutes on a loaded machine.
  for (let from = 0; from < opts.users; from += 8) {
    await Promise.all(
      Array.from({ length: Math.min(8, opts.users - from) }, async (_x, k) => {
        const i = from + k;
        const u = await seedUser(db, org.id, { email: `bench-${i}@example.com` });
        const key = await db.transaction((tx) => createApiKey(tx, { orgId: org.id, userId: u.id, name: 'bench', scopes: [...API_SCOPES], now: new Date(), actor: systemActor(org.id, 'bench') }));
        users[i] = { id: u.id, orgId: org.id, email: u.email, key: key.token, resourceIds: [] };
      }),
    );
  }
  const perUser = Math.min(opts.perUser ?? resources.length, resources.length);
  const windows = perUser === resources.length ? 1 : Math.ceil(resources.length / perUser);
  for (let w = 0; w < windows; w++) {
    const members = users.filter((_u, i) => i % windows === w).map((u) => u.id);
    const own = Array.from({ length: perUser }, (_x, k) => resources[(w * perUser + k) % resources.length]!.id);
    await seedRole(db, org.id, { members, resources: own });
    users.forEach((u, i) => {
      if (i % windows === w) u.resourceIds = own;
    });
  }
  return { org, resources, users };
}

/** A distinct documentation-range IPv4 address per index (198.18.0.0/15 is for benchmarks). */
export const benchIp = (i: number) => `198.18.${Math.floor(i / 250)}.${(i % 250) + 1}`;

export async function postSession(baseUrl: string, key: string, ip: string, duration = '1h'): Promise<{ id: string; status: number; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${baseUrl}/api/v1/sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', 'x-forwarded-for': ip },
    body: JSON.stringify({ duration }),
  });
  const body = (await res.json()) as { id: string };
  const ms = performance.now() - t0;
  if (res.status !== 201) throw new Error(`start failed: ${res.status} ${JSON.stringify(body)}`);
  return { id: body.id, status: res.status, ms };
}
