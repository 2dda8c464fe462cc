import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../src/db/schema/index.ts';
import { authenticateApiKey } from '../../src/engine/api-keys.ts';
import { createApiKeyCommand, listApiKeysCommand, revokeApiKeyCommand } from '../../src/main/commands/api-key-command.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { seedOrg, seedUser } from '../helpers/seed.ts';

let t: TestEngine;
let org: Awaited<ReturnType<typeof seedOrg>>;
const DAY = 86_400_000;

beforeAll(async () => {
  t = await createTestEngine();
  org = await seedOrg(t.deps.db);
  await seedUser(t.deps.db, org.id, { email: 'alice@example.com' });
  await seedUser(t.deps.db, org.id, { email: 'bob@example.com' });
});
afterAll(() => t?.close());

function capture() {
  const lines: string[] = [];
  return { lines, out: (l: string) => lines.push(l) };
}

async function create(email: string, expiresInDays?: string) {
  const c = capture();
  const code = await createApiKeyCommand(t.deps, { org: org.slug, email, name: `${email}-key`, scopes: ['sessions:read'], expiresInDays }, c.out);
  return { code, lines: c.lines, token: c.lines.find((l) => l.startsWith('eg_live_')) };
}

const keyRow = async (token: string) => {
  const principal = await authenticateApiKey(t.deps.db, t.deps.clock, token);
  return (await t.deps.db.select().from(apiKeys).where(eq(apiKeys.id, principal.keyId)))[0]!;
};

describe('entryguard api-key create', () => {
  it('prints the key once and says when it expires: in 90 days, or after --expires-days (1 to 365)', async () => {
    const plain = await create('alice@example.com');
    expect(plain.code).toBe(0);
    expect((await keyRow(plain.token!)).expiresAt!.getTime()).toBe(t.clock.now().getTime() + 90 * DAY);
    expect(plain.lines.join('\n')).toMatch(/expires .*\d{4}-\d\d-\d\d/);

    const month = await create('alice@example.com', '30');
    expect((await keyRow(month.token!)).expiresAt!.getTime()).toBe(t.clock.now().getTime() + 30 * DAY);

    for (const bad of ['0', '366', 'never', '1.5']) {
      const res = await create('alice@example.com', bad);
      expect(res.code).toBe(2);
      expect(res.token).toBeUndefined();
      expect(res.lines.join('\n')).toContain('--expires-days must be a whole number of days from 1 to 365');
    }
  });
});

describe('entryguard api-key list / revoke', () => {
  it('lists keys (never a token) with their owner, scopes, expiry, last use; revoke takes an id or the shown prefix and works on the next request', async () => {
    const bob = await create('bob@example.com');
    const bobRow = await keyRow(bob.token!);

    const listed = capture();
    expect(await listApiKeysCommand(t.deps, { org: org.slug }, listed.out)).toBe(0);
    const text = listed.lines.join('\n');
    expect(text).toMatch(/ID\s+PREFIX\s+ORG\s+USER\s+NAME\s+SCOPES\s+CREATED\s+EXPIRES\s+LAST USED\s+STATUS/);
    expect(text).toContain(bobRow.prefix);
    expect(text).toContain('bob@example.com');
    expect(text).not.toContain(bob.token);

    const revoked = capture();
    expect(await revokeApiKeyCommand(t.deps, { key: bobRow.prefix, org: org.slug }, revoked.out)).toBe(0);
    expect(revoked.lines.join('\n')).toContain(`revoked ${bobRow.prefix}`);
    await expect(authenticateApiKey(t.deps.db, t.deps.clock, bob.token!)).rejects.toMatchObject({ code: 'UNAUTHORIZED' });

    const again = capture();
    expect(await revokeApiKeyCommand(t.deps, { key: bobRow.id }, again.out)).toBe(0);
    expect(again.lines.join('\n')).toContain('already revoked');

    const active = capture();
    await listApiKeysCommand(t.deps, { org: org.slug }, active.out);
    expect(active.lines.join('\n')).not.toContain(bobRow.prefix);
    const all = capture();
    await listApiKeysCommand(t.deps, { org: org.slug, all: true }, all.out);
    expect(all.lines.find((l) => l.includes(bobRow.prefix))).toMatch(/revoked$/);
  });

  it('says so, with exit code 2, for an unknown key or organization', async () => {
    const c = capture();
    expect(await revokeApiKeyCommand(t.deps, { key: 'eg_live_nope00' }, c.out)).toBe(2);
    expect(c.lines.join('\n')).toContain('no API key');
    expect(await listApiKeysCommand(t.deps, { org: 'no-such-org' }, c.out)).toBe(2);
  });
});
