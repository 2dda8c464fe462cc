import { createSign, generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The issuer Bot Framework channel tokens carry. */
export const CHANNEL_ISSUER = 'https://api.botframework.com';

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

/**
 * The Bot Framework channel's OpenID metadata and JWKS on 127.0.0.1, with a test RSA key whose
 * endorsements include "msteams" (botbuilder checks them), and a signer for activity tokens.
 */
export async function startFakeIssuer() {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const kid = randomUUID();
  const jwk = publicKey.export({ format: 'jwk' }) as { n: string; e: string };
  const server = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    if (req.url === '/keys') return res.end(JSON.stringify({ keys: [{ kty: 'RSA', use: 'sig', kid, n: jwk.n, e: jwk.e, endorsements: ['msteams'] }] }));
    return res.end(JSON.stringify({ issuer: CHANNEL_ISSUER, jwks_uri: `${base}/keys`, id_token_signing_alg_values_supported: ['RS256'] }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const sign = (claims: Record<string, unknown>, key: KeyObject = privateKey, keyId = kid) => {
    const now = Math.floor(Date.now() / 1000);
    const head = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT', kid: keyId }));
    const body = b64url(JSON.stringify({ iss: CHANNEL_ISSUER, nbf: now - 60, iat: now - 60, exp: now + 3600, ...claims }));
    const sig = createSign('RSA-SHA256').update(`${head}.${body}`).sign(key);
    return `${head}.${body}.${b64url(sig)}`;
  };

  return {
    openIdMetadataUrl: `${base}/.well-known/openidconfiguration`,
    /** A channel token for `appId`, bound to the activity's serviceUrl as Teams does. */
    tokenFor: (appId: string, serviceUrl: string) => sign({ aud: appId, serviceurl: serviceUrl }),
    /** Same claims, signed by a key the JWKS does not publish (same kid): must be refused. */
    forgedTokenFor: (appId: string, serviceUrl: string) => sign({ aud: appId, serviceurl: serviceUrl }, generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey),
    sign,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

export type FakeIssuer = Awaited<ReturnType<typeof startFakeIssuer>>;
