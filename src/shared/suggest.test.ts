import { describe, expect, it } from 'vitest';
import { closestMatch } from './suggest.ts';

const KINDS = ['script', 'aws-security-group', 'aws-prefix-list', 'gcp-firewall', 'azure-nsg'];

describe('closestMatch', () => {
  it('finds the name meant despite punctuation, case or a small typo', () => {
    expect(closestMatch('aws-securitygroup', KINDS)).toBe('aws-security-group');
    expect(closestMatch('AWS_Security_Group', KINDS)).toBe('aws-security-group');
    expect(closestMatch('gcp-firwall', KINDS)).toBe('gcp-firewall');
    expect(closestMatch('scrpit', KINDS)).toBe('script');
  });

  it('suggests nothing for a name that is not close to any', () => {
    expect(closestMatch('mystery', KINDS)).toBeUndefined();
    expect(closestMatch('aws-sg', KINDS)).toBeUndefined();
  });
});
