import { createHash } from 'node:crypto';
// Deep imports of the three clients we use instead of the package index: the index loads all
// ~270 compute clients (~1.6 s, ~190 MiB on a 2-core box); these load ~5x faster. They are
// internal paths (the package has no `exports` map), acceptable only because package.json pins
// @google-cloud/compute to exactly 7.8.0 — re-check these paths when upgrading it.
import { FirewallsClient } from '@google-cloud/compute/build/src/v1/firewalls_client.js';
import { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client.js';
import { NetworksClient } from '@google-cloud/compute/build/src/v1/networks_client.js';
import { GoogleAuth, JWT } from 'google-auth-library';
import { z } from 'zod';
import { ProviderError, type ResourceTarget } from '../../engine/ports.ts';
import { GcpEndpoint } from '../../shared/cloud-endpoints.ts';
import type { CloudOverrides } from '../deps.ts';
import { resolveEndpoint } from '../endpoints.ts';
import { isUnauthenticated } from './errors.ts';

export interface GcpClients {
  firewalls: FirewallsClient;
  operations: GlobalOperationsClient;
  networks: NetworksClient;
  /** For messages: which credential these clients use. */
  credentialName: string | undefined;
  /** Drops the cached access token so the next request signs in again. */
  reauthenticate(): void;
}

const COMPUTE_SCOPE = 'https://www.googleapis.com/auth/compute';
/** google-auth-library 11 posts every service-account grant here and ignores the key's `token_uri`. */
const GOOGLE_TOKEN_URL = 'https://oauth2.googleapis.com/token';

const ServiceAccountKey = z.object({
  type: z.literal('service_account'),
  client_email: z.string().email(),
  private_key: z.string().includes('PRIVATE KEY'),
  private_key_id: z.string().optional(),
});

export interface ClientCache {
  /** Clients for this resource's project and credential, created on first use. */
  get(resource: ResourceTarget, project: string): Promise<GcpClients>;
}

/**
 * One set of clients per (project, credential, endpoints). The secret is re-read on every call (env
 * or file, cheap) and fingerprinted, so a rotated key replaces the cached clients instead of being
 * ignored. Endpoints come from the org file (`endpoint:`), else the test overrides.
 */
export function createClientCache(
  secrets: { resolve(ref: string): Promise<string | undefined> },
  overrides: CloudOverrides['gcp'],
): ClientCache {
  const cache = new Map<string, { fingerprint: string; clients: GcpClients }>();

  return {
    async get(resource, project) {
      const cred = resource.credential;
      const useDefault = !cred || cred.secretRef === 'default';
      const e = resolveEndpoint(GcpEndpoint, resource);
      if (useDefault && e.tokenUrl) {
        // Application Default Credentials get tokens their own way (metadata server, ADC file).
        throw new ProviderError('INVALID_CONFIG', `resource "${resource.name}": endpoint.tokenUrl applies to service-account keys (env: or file: credentials), not to the default credentials`, { retryable: false });
      }
      const apiEndpoint = e.apiEndpoint ?? overrides?.endpoint;
      const tokenUrl = e.tokenUrl ?? overrides?.tokenUri;
      const secret = useDefault ? undefined : await readKey(resource, secrets);
      const slot = JSON.stringify([project, useDefault ? 'default' : cred!.secretRef, apiEndpoint ?? null, tokenUrl ?? null]);
      const fingerprint = secret ? createHash('sha256').update(secret.raw).digest('hex') : 'default';
      const hit = cache.get(slot);
      if (hit?.fingerprint === fingerprint) return hit.clients;
      if (hit) void closeClients(hit.clients);
      const auth = secret ? createJwt(secret.key, tokenUrl) : new GoogleAuth({ scopes: [COMPUTE_SCOPE] });
      const clients = buildClients(auth, project, cred?.name, apiEndpoint);
      cache.set(slot, { fingerprint, clients });
      return clients;
    },
  };
}

async function readKey(
  resource: ResourceTarget,
  secrets: { resolve(ref: string): Promise<string | undefined> },
): Promise<{ raw: string; key: z.infer<typeof ServiceAccountKey> }> {
  const cred = resource.credential!;
  const raw = await secrets.resolve(cred.secretRef);
  if (raw === undefined || raw.trim() === '') {
    throw new ProviderError(
      'CREDENTIAL_MISSING',
      `credential "${cred.name}" (${cred.secretRef}) resolved to nothing: set it to a service-account JSON key, or use "default"`,
      { retryable: false },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    json = undefined; // never echo the secret itself
  }
  const parsed = ServiceAccountKey.safeParse(json);
  if (!parsed.success) {
    throw new ProviderError(
      'CREDENTIAL_INVALID',
      `credential "${cred.name}" (${cred.secretRef}) is not a service-account JSON key (need type "service_account", client_email, private_key)`,
      { retryable: false },
    );
  }
  return { raw, key: parsed.data };
}

function createJwt(key: z.infer<typeof ServiceAccountKey>, tokenUri: string | undefined): JWT {
  const jwt = new JWT({ email: key.client_email, key: key.private_key, keyId: key.private_key_id, scopes: [COMPUTE_SCOPE] });
  if (tokenUri) {
    // A Private Service Connect token endpoint (or an emulator): the library has no option for it,
    // so the grant request (signed with the real key, same body) is redirected on this client's transport.
    jwt.transporter.interceptors.request.add({
      resolved: async (opts) => {
        if (String(opts.url) === GOOGLE_TOKEN_URL) opts.url = new URL(tokenUri);
        return opts;
      },
    });
  }
  return jwt;
}

/**
 * Runs `fn`; if Compute Engine answers 401 to a token the library still considers valid (revoked
 * or expired early), signs in again once and retries. The JWT client does not do this itself
 * because its tokens carry an expiry and no refresh token.
 */
export async function withFreshToken<T>(clients: GcpClients, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (!isUnauthenticated(err)) throw err;
    clients.reauthenticate();
    return fn();
  }
}

function buildClients(auth: JWT | GoogleAuth, project: string, credentialName: string | undefined, endpoint: string | undefined): GcpClients {
  // Compute clients always speak REST ("fallback"); an endpoint override needs host, port and
  // protocol given separately (an "host:port" apiEndpoint loses the port).
  const target = endpoint ? new URL(endpoint) : undefined;
  const opts = {
    fallback: true,
    projectId: project,
    ...(auth instanceof JWT ? { authClient: auth } : { auth }),
    ...(target
      ? {
          apiEndpoint: target.hostname,
          port: Number(target.port || (target.protocol === 'http:' ? 80 : 443)),
          protocol: target.protocol.replace(':', ''),
        }
      : {}),
  };
  return {
    firewalls: new FirewallsClient(opts),
    operations: new GlobalOperationsClient(opts),
    networks: new NetworksClient(opts),
    credentialName,
    reauthenticate() {
      // ADC clients (GoogleAuth) manage their own refresh; only our JWT caches a token here.
      // The state a new JWT client starts in (google-auth-library 11): the past expiry makes the
      // next request sign a new grant, bypassing the token helper's own cache as well.
      if (auth instanceof JWT) auth.credentials = { refresh_token: 'jwt-placeholder', expiry_date: 1 };
    },
  };
}

async function closeClients(clients: GcpClients): Promise<void> {
  await Promise.allSettled([clients.firewalls.close(), clients.operations.close(), clients.networks.close()]);
}
