import { createPublicKey, createVerify, generateKeyPairSync, randomBytes, type KeyObject } from 'node:crypto';

/** The audience google-auth-library signs into every service-account grant (its token URL). */
const GOOGLE_TOKEN_AUD = 'https://oauth2.googleapis.com/token';
const JWT_BEARER = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const ACCEPTED_SCOPES = ['https://www.googleapis.com/auth/compute', 'https://www.googleapis.com/auth/cloud-platform'];

export interface TokenResponse {
  status: number;
  body: Record<string, unknown>;
}

/**
 * Google's OAuth token endpoint for service accounts (RFC 7523 JWT bearer grant): checks the
 * RS256 signature against the registered public key, the audience, the times and the scope, and
 * hands out opaque access tokens that the compute routes accept.
 */
export class FakeOAuth {
  private readonly keys = new Map<string, KeyObject>();
  private readonly tokens = new Map<string, { email: string; expiresAt: number }>();
  tokenLifetimeSec = 3599;
  issued = 0;

  registerServiceAccount(email: string, publicKeyPem: string): void {
    this.keys.set(email, createPublicKey(publicKeyPem));
  }

  /** Issues a token directly (tests of the fake itself). */
  issue(email: string): string {
    const token = `ya29.fake-${randomBytes(16).toString('hex')}`;
    this.tokens.set(token, { email, expiresAt: Date.now() + this.tokenLifetimeSec * 1000 });
    this.issued += 1;
    return token;
  }

  /** The principal behind `Authorization: Bearer …`, or undefined if unknown or expired. */
  principal(authorization: string | undefined): string | undefined {
    const token = /^Bearer (.+)$/.exec(authorization ?? '')?.[1];
    const entry = token ? this.tokens.get(token) : undefined;
    return entry && entry.expiresAt > Date.now() ? entry.email : undefined;
  }

  expireAll(): void {
    this.tokens.clear();
  }

  handleToken(form: URLSearchParams): TokenResponse {
    const fail = (error: string, description: string) => ({ status: 400, body: { error, error_description: description } });
    if (form.get('grant_type') !== JWT_BEARER) return fail('unsupported_grant_type', 'Invalid grant_type.');
    const parts = (form.get('assertion') ?? '').split('.');
    if (parts.length !== 3) return fail('invalid_request', 'Invalid JWT: malformed.');
    const [h, p, sig] = parts as [string, string, string];
    let header: { alg?: string };
    let claims: { iss?: string; aud?: string; scope?: string; iat?: number; exp?: number };
    try {
      header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8'));
      claims = JSON.parse(Buffer.from(p, 'base64url').toString('utf8'));
    } catch {
      return fail('invalid_request', 'Invalid JWT: not JSON.');
    }
    const key = claims.iss ? this.keys.get(claims.iss) : undefined;
    if (!key) return fail('invalid_grant', 'Invalid grant: account not found');
    const verifier = createVerify('RSA-SHA256');
    verifier.update(`${h}.${p}`);
    if (header.alg !== 'RS256' || !verifier.verify(key, Buffer.from(sig, 'base64url'))) {
      return fail('invalid_grant', 'Invalid JWT Signature.');
    }
    const nowSec = Date.now() / 1000;
    if (claims.aud !== GOOGLE_TOKEN_AUD) return fail('invalid_grant', 'Invalid JWT: audience mismatch.');
    if (!claims.iat || !claims.exp || claims.exp < nowSec || claims.iat > nowSec + 300 || claims.exp - claims.iat > 3600) {
      return fail('invalid_grant', 'Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe.');
    }
    if (!claims.scope?.split(' ').some((s) => ACCEPTED_SCOPES.includes(s))) {
      return fail('invalid_scope', 'Invalid OAuth scope or ID token audience provided.');
    }
    return { status: 200, body: { access_token: this.issue(claims.iss!), expires_in: this.tokenLifetimeSec, token_type: 'Bearer' } };
  }
}

export interface TestServiceAccount {
  email: string;
  /** The service-account JSON key, as a `file:`/`env:` secret would hold it. */
  json: string;
}

/**
 * A service-account key generated at runtime (never a checked-in key), registered with the fake.
 * `token_uri` points at the fake for realism; google-auth-library 11 ignores it, which is why the
 * provider redirects the grant to the resource's `endpoint.tokenUrl` (or, in the kits, deps.overrides.gcp.tokenUri).
 */
export function createServiceAccount(oauth: FakeOAuth, opts: { email?: string; project?: string; tokenUri: string }): TestServiceAccount {
  const email = opts.email ?? `entryguard-${randomBytes(3).toString('hex')}@${opts.project ?? 'eg-test'}.iam.gserviceaccount.com`;
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  oauth.registerServiceAccount(email, publicKey.export({ type: 'spki', format: 'pem' }).toString());
  const json = JSON.stringify({
    type: 'service_account',
    project_id: opts.project ?? 'eg-test',
    private_key_id: randomBytes(20).toString('hex'),
    private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    client_email: email,
    client_id: String(BigInt('0x' + randomBytes(8).toString('hex'))),
    auth_uri: 'https://accounts.google.com/o/oauth2/auth',
    token_uri: opts.tokenUri,
    universe_domain: 'googleapis.com',
  });
  return { email, json };
}
