import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eq } from 'drizzle-orm';
import { resources } from '../../src/db/schema/index.ts';
import { doctorCommand } from '../../src/main/commands/doctor-command.ts';
import { createTestEngine, type TestEngine } from '../helpers/engine.ts';
import { startCloudLab, type CloudLab } from '../helpers/cloud-lab.ts';
import { seedOrg } from '../helpers/seed.ts';

let lab: CloudLab;
let t: TestEngine;
beforeAll(async () => {
  lab = await startCloudLab();
  t = await createTestEngine({ providers: lab.registry });
}, 120_000);
afterAll(async () => {
  await t?.close();
  await lab?.close();
});

describe('entryguard doctor', () => {
  it('verifies every resource, prints one line each, and fails when one is broken', async () => {
    const org = await seedOrg(t.deps.db);
    const rows = await lab.seedResources(t.deps.db, org.id);
    const lines: string[] = [];
    expect(await doctorCommand(t.deps, (l) => lines.push(l))).toBe(0);
    expect(lines[0]).toMatch(/^org\s+resource\s+kind\s+reachable\s+permitted/);
    for (const r of rows) expect(lines.find((l) => l.includes(r.name))).toMatch(/yes\s+yes/);

    // Someone trims the IAM policy: doctor says so, and the resource stops being opened.
    lab.ec2.denyActions(['AuthorizeSecurityGroupIngress']);
    lines.length = 0;
    expect(await doctorCommand(t.deps, (l) => lines.push(l))).toBe(1);
    expect(lines.find((l) => l.includes(rows[0]!.name))).toMatch(/NO/);
    const [after] = await t.deps.db.select().from(resources).where(eq(resources.id, rows[0]!.id));
    expect(after!.verifyError).toBeTruthy();
  });
});
