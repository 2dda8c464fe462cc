import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config/config-error.ts';
import { parseOrgFile } from '../../src/config/org-file.ts';

/** A valid organization with `extra` YAML appended inside it. */
const org = (extra: string) => `organizations:\n  - slug: acme\n    name: Acme\n    plan: team\n${extra.replace(/^/gm, '    ')}\n`;

function issuesOf(text: string): readonly { path: string; message: string; line?: number | undefined }[] {
  try {
    parseOrgFile(text);
  } catch (err) {
    if (err instanceof ConfigError) return err.issues;
    throw err;
  }
  return [];
}

const GOOD = org(`
credentials:
  - name: aws-gov
    provider: aws
    ref: env:AWS_GOV_KEYS
    options:
      roleArn: "arn:aws-us-gov:iam::123456789012:role/entryguard"
      endpoint: { useFipsEndpoint: true, maxAttempts: 5, retryMode: adaptive, connectionTimeoutMs: 2000, requestTimeoutMs: 15000 }
  - name: azure-gov
    provider: azure
    ref: env:AZURE_GOV_PRINCIPAL
    options: { endpoint: { cloud: usgov, pollIntervalMs: 5000 } }
  - name: gcp-psc
    provider: gcp
    ref: file:/etc/entryguard/gcp.json
    options: { endpoint: { apiEndpoint: "https://compute-egpsc.p.googleapis.com", tokenUrl: "https://oauth2-egpsc.p.googleapis.com/token" } }
resources:
  - { name: vpce-sg, kind: aws-security-group, identifier: sg-0abc, region: us-gov-west-1, credential: aws-gov,
      config: { endpoint: { useFipsEndpoint: false, url: "https://vpce-0abc.ec2.us-gov-west-1.vpce.amazonaws.com" } } }
  - { name: stack-nsg, kind: azure-nsg, identifier: x, credential: azure-gov,
      config: { endpoint: { armEndpoint: "https://management.local.azurestack.external", authorityHost: "https://adfs.local.azurestack.external" } } }
  - { name: local, kind: gcp-firewall, identifier: y, credential: gcp-psc, config: { endpoint: { apiEndpoint: "http://127.0.0.1:4010" } } }`);

describe('org file endpoint settings', () => {
  it('accepts endpoint settings for each cloud, per credential and per resource', () => {
    expect(issuesOf(GOOD)).toEqual([]);
    const parsed = parseOrgFile(GOOD).organizations[0]!;
    expect(parsed.credentials[2]!.options.endpoint).toEqual({ apiEndpoint: 'https://compute-egpsc.p.googleapis.com', tokenUrl: 'https://oauth2-egpsc.p.googleapis.com/token' });
  });

  it('refuses http to another host, misspelt keys and bad values, each with its path and line', () => {
    const issues = issuesOf(
      org(`
credentials:
  - name: aws
    provider: aws
    ref: default
    options: { endpoint: { url: "http://ec2.internal.example", maxAtempts: 3 } }
  - { name: az, provider: azure, ref: default, options: { endpoint: { cloud: germany } } }
resources:
  - { name: g, kind: gcp-firewall, identifier: y, config: { endpoint: { apiEndpoint: "https://compute.example/v1", tokenUrl: "https://u:p@oauth.example/token" } } }
  - { name: s, kind: script, identifier: s, config: { apply: a, revoke: r, endpoint: { url: "https://x.example" } } }`),
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      // A password in a URL is a secret in the file, whatever the key.
      expect.stringMatching(/^organizations\[0\]\.resources\[0\]\.config\.endpoint\.tokenUrl: "tokenUrl" looks like a secret/),
      expect.stringMatching(/^organizations\[0\]\.credentials\[0\]\.options\.endpoint\.url: must use https:\/\/ \(credentials are sent to it\); http:\/\/ is allowed only to this machine .* not ec2\.internal\.example$/),
      'organizations[0].credentials[0].options.endpoint.maxAtempts: unknown key (misspelt, or in the wrong place?)',
      'organizations[0].credentials[1].options.endpoint.cloud: must be one of public, usgov, china',
      'organizations[0].resources[0].config.endpoint.apiEndpoint: must be only scheme, host and port (no path)',
      'organizations[0].resources[0].config.endpoint.tokenUrl: must not contain a user name or password',
      'organizations[0].resources[1].config.endpoint: endpoint settings exist for aws, azure and gcp only, not for "script"',
    ]);
    expect(issues.find((i) => i.path.endsWith('options.endpoint.url'))?.line).toBe(10); // the options line
  });

  it('checks a resource\'s settings merged over its credential\'s, as the provider will use them', () => {
    const issues = issuesOf(
      org(`
credentials:
  - { name: aws, provider: aws, ref: default, options: { endpoint: { useFipsEndpoint: true } } }
  - { name: az, provider: azure, ref: default, options: { endpoint: { authorityHost: "https://login.stack.example" } } }
resources:
  - { name: a, kind: aws-security-group, identifier: sg-1, region: us-east-1, credential: aws, config: { endpoint: { url: "https://vpce-1.example" } } }
  - { name: z, kind: azure-nsg, identifier: x, credential: az, config: { endpoint: { armEndpoint: "https://arm.stack.example" } } }
  - { name: z2, kind: azure-nsg, identifier: x2, config: { endpoint: { armEndpoint: "https://arm.stack.example" } } }`),
    );
    expect(issues.map((i) => `${i.path}: ${i.message}`)).toEqual([
      // An explicit Azure cloud is given whole in one place (both URLs), so no pairing is left to chance.
      'organizations[0].credentials[1].options.endpoint.armEndpoint: is required with authorityHost (or name the cloud: public, usgov, china)',
      // Each is fine alone, not together.
      expect.stringMatching(/^organizations\[0\]\.resources\[0\]\.config\.endpoint\.url: cannot be combined with useFipsEndpoint/),
      'organizations[0].resources[1].config.endpoint.authorityHost: is required with armEndpoint (or name the cloud: public, usgov, china)',
      'organizations[0].resources[2].config.endpoint.authorityHost: is required with armEndpoint (or name the cloud: public, usgov, china)',
    ]);
  });
});
