import { describe, expect, it } from 'vitest';
import { createTokenSealer } from './seal.ts';

describe('sealed Slack tokens', () => {
  const sealer = createTokenSealer('client-secret-for-tests');

  it('open only for the workspace they were sealed for (the team id is associated data)', () => {
    const sealed = sealer.seal('xoxb-team-1', 'T111');
    expect(sealed).not.toContain('xoxb');
    expect(sealer.open(sealed, 'T111')).toBe('xoxb-team-1');
    expect(() => sealer.open(sealed, 'T222')).toThrow();
  });

  it('open only with the key they were sealed with, and not after tampering', () => {
    const sealed = sealer.seal('xoxb-team-1', 'T111');
    expect(() => createTokenSealer('another-secret').open(sealed, 'T111')).toThrow();
    const [v, iv, tag, ct] = sealed.split('.');
    const flipped = Buffer.from(ct!, 'base64url');
    flipped[0] = flipped[0]! ^ 1;
    expect(() => sealer.open([v, iv, tag, flipped.toString('base64url')].join('.'), 'T111')).toThrow();
  });
});
