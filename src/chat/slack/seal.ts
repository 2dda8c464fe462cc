import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Seals Slack bot tokens for the database (AES-256-GCM). The key is derived from the app's client
 * secret, which lives only in the environment: a database dump alone reveals no token. Rotating
 * the client secret means reinstalling, which Slack requires anyway.
 */
export interface TokenSealer {
  seal(token: string): string;
  /** Throws on a tampered value or a different key. */
  open(sealed: string): string;
}

export function createTokenSealer(clientSecret: string): TokenSealer {
  const key = Buffer.from(hkdfSync('sha256', clientSecret, 'entryguard', 'slack-installation-token', 32));
  return {
    seal(token) {
      const iv = randomBytes(12);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      const ct = Buffer.concat([cipher.update(token, 'utf8'), cipher.final()]);
      return ['v1', iv, cipher.getAuthTag(), ct].map((p) => (typeof p === 'string' ? p : p.toString('base64url'))).join('.');
    },
    open(sealed) {
      const [v, iv, tag, ct] = sealed.split('.');
      if (v !== 'v1' || !iv || !tag || ct === undefined) throw new Error('not a sealed token');
      const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(ct, 'base64url')), decipher.final()]).toString('utf8');
    },
  };
}
