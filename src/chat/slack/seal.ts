import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals Slack bot tokens for the database (AES-256-GCM). The key is derived from the app's client
 * secret, which lives only in the environment: a database dump alone reveals no token. Rotating
 * the client secret means reinstalling, which Slack requires anyway.
 *
 * The workspace's team id is the associated data (format v2): a sealed token opens only for the
 * row it was sealed for, so someone who can write the database but lacks the key cannot move
 * workspace A's token into workspace B's row and have B's requests served with A's bot.
 */
export interface TokenSealer {
  seal(token: string, teamId: string): string;
  /** Throws on a tampered value, a different key, another workspace's value, or the unbound v1 format. */
  open(sealed: string, teamId: string): string;
  /**
   * A v1 value (sealed before the binding, no associated data) re-sealed as v2 for `teamId`;
   * undefined when `sealed` is not v1. Throws when it does not open with this key.
   */
  resealLegacy(sealed: string, teamId: string): string | undefined;
}

const aad = (teamId: string) => Buffer.from(`slack-installation:${teamId}`, 'utf8');

export function createTokenSealer(clientSecret: string): TokenSealer {
  const key = Buffer.from(hkdfSync('sha256', clientSecret, 'entryguard', 'slack-installation-token', 32));

  const decrypt = (parts: string[], teamId: string | undefined): string => {
    const [, iv, tag, ct] = parts;
    if (!iv || !tag || ct === undefined) throw new Error('not a sealed token');
    const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
    if (teamId !== undefined) decipher.setAAD(aad(teamId));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
  };

  const sealer: TokenSealer = {
    seal(token, teamId) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(aad(teamId));
      const ct = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
      return ['v2', iv, cipher.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    open(sealed, teamId) {
      const parts = sealed.split('.');
      if (parts[0] !== 'v2') throw new Error(`sealed token of workspace ${teamId} is not in the bound format (v2)`);
      return decrypt(parts, teamId);
    },
    resealLegacy(sealed, teamId) {
      const parts = sealed.split('.');
      return parts[0] === 'v1' ? sealer.seal(decrypt(parts, undefined), teamId) : undefined;
    },
  };
  return sealer;
}
