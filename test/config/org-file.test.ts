import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.ts';
import { parseOrgFile } from '../../src/config/org-file.ts';

const KINDS = ['aws-security-group', 'script'];

const VALID = `
organizations:
  - slug: acme
    name: Acme Inc.
    plan: team
    settings: { maxSessionHours: 8, defaultDurationHours: 1, maxConcurrentSessions: 2, durationsHours: [1, 2, 4] }
    slack: { teamIds: [T0123] }
    teams: { tenantIds: [9A8B7C6D-0000-4000-8000-000000000001] }
    credentials:
      - { name: aws-prod, provider: aws, ref: env:AWS_PROD_KEYS, options: { roleArn: "arn:aws:iam::123456789012:role/eg", externalId: xyz } }
      - { name: gcp-prod, provider: gcp, ref: file:/etc/entryguard/gcp.json }
      - { name: azure-default, provider: azure, ref: default }
    resources:
      - name: prod-db
        kind: aws-security-group
        identifier: sg-0abc
        region: eu-west-1
        ports: [{ protocol: tcp, from: 5432 }, { protocol: udp, from: 8000, to: 8100 }, { protocol: icmp }]
        credential: aws-prod
      - { name: bastion, kind: script, identifier: b, config: { apply: "true", revoke: "true" }, active: false }
    users:
      - { email: Alice@Acme.io, name: Alice, admin: true, slack: U0ALICE, teams: 6b9e3f4a-1c2d-4e5f-8a9b-0c1d2e3f4a5b, resources: [bastion] }
      - { email: bob@acme.io, disabled: true }
      - { email: carol@acme.io }
    roles:
      - name: dba
        maxSessionDurationHours: 4
        members: [alice@acme.io]
        resources: [prod-db]
        approval: { approvers: [carol@acme.io], channels: { slack: C0APPROVALS, teams: "19:abc@thread.tacv2" }, timeoutMinutes: 30 }
`;

function issuesOf(text: string, opts: { knownKinds?: string[] } = { knownKinds: KINDS }) {
  try {
    parseOrgFile(text, opts);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

/** A valid organization with `extra` YAML appended inside it (at the org's indentation). */
const org = (extra: string, head = 'slug: acme\n    name: Acme\n    plan: team') => `organizations:\n  - ${head}\n${extra.replace(/^/gm, '    ')}\n`;

describe('parseOrgFile', () => {
  it('parses a complete file, applying defaults and normalising ids', () => {
    const file = parseOrgFile(VALID, { knownKinds: KINDS });
    const acme = file.organizations[0]!;
    expect(acme.teams.tenantIds).toEqual(['9a8b7c6d-0000-4000-8000-000000000001']);
    expect(acme.resources[0]!.ports).toEqual([
      { protocol: 'tcp', from: 5432, to: 5432 },
      { protocol: 'udp', from: 8000, to: 8100 },
      { protocol: 'icmp' },
    ]);
    expect(acme.resources[0]).toMatchObject({ config: {}, active: true });
    expect(acme.users[0]).toMatchObject({ email: 'alice@acme.io', admin: true, disabled: false });
    expect(acme.users[2]).toEqual({ email: 'carol@acme.io', admin: false, disabled: false, resources: [] });
    expect(acme.roles[0]!.approval).toEqual({ approvers: ['carol@acme.io'], channels: { slack: 'C0APPROVALS', teams: '19:abc@thread.tacv2' }, timeoutMinutes: 30, allowAddressChange: false });
    expect(parseOrgFile(org('')).organizations[0]).toMatchObject({ settings: {}, slack: { teamIds: [] }, users: [], roles: [] });
  });

  it('names the YAML path and line of each shape error, all at once', () => {
    const issues = issuesOf(
      org(
        [
          'settings: { maxSesionHours: 3, durationsHours: [1, 2], defaultDurationHours: 4 }',
          'resources:',
          '  - { name: db, kind: script, identifier: x, ports: [{ protocol: tcp }, { protocol: all, from: 1 }, { protocol: tcp, from: 9, to: 2 }] }',
          'users:',
          '  - { email: not-an-email }',
          '  - { email: a@acme.io, slack: alice }',
        ].join('\n'),
        'slug: Acme Corp\n    name: Acme\n    plan: gold',
      ),
    );
    expect(issues.map((i) => `${i.path}@${i.line}`)).toEqual([
      'organizations[0].slug@2',
      'organizations[0].plan@4',
      'organizations[0].settings.maxSesionHours@5',
      'organizations[0].settings.defaultDurationHours@5',
      'organizations[0].resources[0].ports[0].from@7',
      'organizations[0].resources[0].ports[1]@7',
      'organizations[0].resources[0].ports[2].to@7',
      'organizations[0].users[0].email@9',
      'organizations[0].users[1].slack@10',
    ]);
    expect(issues[2]!.message).toContain('unknown key');
    expect(issues[7]!.message).toBe('must be an email address');
  });

  it('checks settings against each other', () => {
    const issues = issuesOf(org('settings: { durationsHours: [1, 2], defaultDurationHours: 4 }'));
    expect(issues).toEqual([{ path: 'organizations[0].settings.defaultDurationHours', message: 'must be one of durationsHours', line: 5 }]);
  });

  it('reports a missing required key and a YAML syntax error', () => {
    expect(issuesOf('organizations:\n  - slug: acme\n    plan: team\n')).toEqual([
      { path: 'organizations[0].name', message: 'is required (expected string, received undefined)', line: 2 },
    ]);
    const syntax = issuesOf('organizations:\n  - slug: acme\n    name: [unclosed\n');
    expect(syntax[0]!.message).toMatch(/^YAML syntax: /);
    expect(syntax[0]!.line).toBeGreaterThan(0);
    expect(issuesOf('just a string')[0]!.message).toContain('must be a mapping');
  });

  it('refuses a literal secret as a credential ref, and secret-looking options and config', () => {
    const issues = issuesOf(
      org(
        [
          'credentials:',
          '  - { name: aws, provider: aws, ref: AKIAIOSFODNN7EXAMPLE }',
          '  - { name: az, provider: azure, ref: default, options: { clientSecret: abc, tenantId: t } }',
          '  - { name: ok, provider: azure, ref: default, options: { clientSecret: env:AZ_SECRET } }',
          'resources:',
          '  - { name: s, kind: script, identifier: s, config: { apply: a, revoke: r, env: { API_TOKEN: xyz } } }',
        ].join('\n'),
      ),
    );
    expect(issues.map((i) => i.path)).toEqual(['organizations[0].credentials[0].ref']);
    expect(issues[0]!.message).toContain('must be env:VARIABLE, file:/path/to/file or default');
    expect(issues[0]!.message).not.toContain('AKIA');

    const secrets = issuesOf(
      org(
        [
          'credentials:',
          '  - { name: az, provider: azure, ref: default, options: { clientSecret: abc, tenantId: t } }',
          '  - { name: ok, provider: azure, ref: default, options: { clientSecret: env:AZ_SECRET } }',
          'resources:',
          '  - { name: s, kind: script, identifier: s, config: { apply: a, revoke: r, env: { API_TOKEN: xyz } } }',
        ].join('\n'),
      ),
    );
    expect(secrets.map((i) => i.path)).toEqual(['organizations[0].credentials[0].options.clientSecret', 'organizations[0].resources[0].config.env.API_TOKEN']);
    expect(secrets[0]!.message).toContain('looks like a secret');
  });

  it('refuses an unknown provider kind when the known kinds are given', () => {
    const text = org('resources:\n  - { name: db, kind: aws-sg, identifier: sg-1 }');
    expect(issuesOf(text)).toEqual([
      { path: 'organizations[0].resources[0].kind', message: 'unknown provider kind "aws-sg"; known kinds: aws-security-group, script', line: 6 },
    ]);
    expect(parseOrgFile(text).organizations[0]!.resources[0]!.kind).toBe('aws-sg');
  });

  it('checks every cross-reference within the organization', () => {
    const issues = issuesOf(
      org(
        [
          'credentials: [{ name: c1, provider: aws, ref: default }, { name: c1, provider: aws, ref: default }]',
          'resources:',
          '  - { name: db, kind: script, identifier: x, credential: nope }',
          '  - { name: db, kind: script, identifier: y }',
          'users:',
          '  - { email: alice@acme.io, resources: [db, ghost, db] }',
          '  - { email: ALICE@acme.io }',
          '  - { email: dan@acme.io, disabled: true }',
          'roles:',
          '  - name: dba',
          '    members: [alice@acme.io, bob@x.io]',
          '    resources: [db, gone]',
          '    approval: { approvers: [bob@x.io, dan@acme.io] }',
          '  - { name: dba }',
        ].join('\n'),
      ),
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      'organizations[0].credentials[1].name: c1: credential name is already used by organizations[0].credentials[0].name',
      'organizations[0].resources[0].credential: unknown credential nope: define it under credentials of organization acme',
      'organizations[0].resources[1].name: db: resource name is already used by organizations[0].resources[0].name',
      'organizations[0].users[0].resources[1]: unknown resource ghost: define it under resources of organization acme',
      'organizations[0].users[0].resources[2]: db is listed twice',
      'organizations[0].users[1].email: alice@acme.io: email is already used by organizations[0].users[0].email',
      'organizations[0].roles[0].members[1]: unknown user bob@x.io: define it under users of organization acme',
      'organizations[0].roles[0].resources[1]: unknown resource gone: define it under resources of organization acme',
      'organizations[0].roles[0].approval.approvers[0]: unknown user bob@x.io: define it under users of organization acme',
      'organizations[0].roles[0].approval.approvers[1]: dan@acme.io is disabled and could never approve; pick an active user',
      'organizations[0].roles[1].name: dba: role name is already used by organizations[0].roles[0].name',
    ]);
    expect(issues.every((i) => typeof i.line === 'number')).toBe(true);
  });

  it('keeps references inside their organization and chat ids unique across the file', () => {
    const text = [
      'organizations:',
      '  - slug: acme',
      '    name: Acme',
      '    plan: team',
      '    slack: { teamIds: [T0001] }',
      '    users: [{ email: a@acme.io, slack: U0001 }]',
      '  - slug: acme',
      '    name: Other',
      '    plan: team',
      '    slack: { teamIds: [T0001] }',
      '    users: [{ email: b@other.io, slack: U0001 }]',
      '    roles: [{ name: r, members: [a@acme.io] }]',
    ].join('\n');
    expect(issuesOf(text).map((i) => i.path)).toEqual([
      'organizations[1].slug',
      'organizations[1].slack.teamIds[0]',
      'organizations[1].users[0].slack',
      'organizations[1].roles[0].members[0]',
    ]);
  });

  it('supports YAML anchors and merge keys for shared resource config', () => {
    const text = org(
      [
        'resources:',
        '  - { name: a, kind: script, identifier: a, config: &cfg { apply: x, revoke: y, env: { F: a.txt } } }',
        '  - { name: b, kind: script, identifier: b, config: { <<: *cfg, env: { F: b.txt } } }',
      ].join('\n'),
    );
    expect(parseOrgFile(text).organizations[0]!.resources[1]!.config).toEqual({ apply: 'x', revoke: 'y', env: { F: 'b.txt' } });
  });
});
