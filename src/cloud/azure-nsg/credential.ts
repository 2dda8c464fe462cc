import { createHash } from 'node:crypto';
import { ClientSecretCredential, DefaultAzureCredential } from '@azure/identity';
import type { TokenCredential } from '@azure/core-auth';
import { ProviderError, type CredentialRef } from '../../engine/ports.ts';
import type { ProviderDeps } from '../deps.ts';
import { AzureClientSecret } from './config.ts';
import type { AzureTarget } from './endpoint.ts';

export interface ResolvedCredential {
  /** Identifies the identity and secret version, never the secret itself: the client cache key. */
  key: string;
  create(): TokenCredential;
}

/**
 * Turns a credential reference into an Azure TokenCredential. `env:NAME` / `file:PATH` must
 * resolve to JSON `{tenantId, clientId, clientSecret}` (a service principal); `default` uses
 * DefaultAzureCredential (managed identity, workload identity, environment, Azure CLI …), with
 * `options.managedIdentityClientId` for a user-assigned identity. The secret is re-read on each
 * call so a rotated secret is picked up; its hash is part of the key.
 */
export async function resolveCredential(
  ref: CredentialRef | null,
  deps: ProviderDeps,
  resourceName: string,
  target: Pick<AzureTarget, 'authorityHost' | 'disableInstanceDiscovery'> = { disableInstanceDiscovery: false },
): Promise<ResolvedCredential> {
  const o = deps.overrides?.azure;
  const common = {
    ...(target.authorityHost ? { authorityHost: target.authorityHost } : {}),
    ...(target.disableInstanceDiscovery ? { disableInstanceDiscovery: true } : {}),
    ...(o?.tlsCa ? { tlsOptions: { ca: o.tlsCa } } : {}),
    ...(o?.maxRetries !== undefined || o?.retryDelayMs !== undefined
      ? { retryOptions: { maxRetries: o?.maxRetries, retryDelayInMs: o?.retryDelayMs } }
      : {}),
  };
  if (!ref) {
    throw new ProviderError('CREDENTIAL_MISSING', `resource "${resourceName}" (azure-nsg) names no credential: set "credential:" to one whose secretRef is env:NAME, file:PATH or default`, { retryable: false });
  }
  if (ref.secretRef === 'default') {
    const managedIdentityClientId = typeof ref.options.managedIdentityClientId === 'string' ? ref.options.managedIdentityClientId : undefined;
    return {
      key: `default:${managedIdentityClientId ?? ''}:${target.authorityHost ?? ''}`,
      create: () => new DefaultAzureCredential({ ...common, ...(managedIdentityClientId ? { managedIdentityClientId } : {}) }),
    };
  }
  const secret = await deps.secrets.resolve(ref.secretRef);
  if (secret === undefined || secret.trim() === '') {
    throw new ProviderError('CREDENTIAL_MISSING', `credential "${ref.name}": ${ref.secretRef} is not set or empty on this host`, { retryable: false });
  }
  const parsed = AzureClientSecret.safeParse(safeJson(secret));
  if (!parsed.success) {
    throw new ProviderError(
      'CREDENTIAL_INVALID',
      `credential "${ref.name}": ${ref.secretRef} must hold JSON {"tenantId","clientId","clientSecret"} of a service principal`,
      { retryable: false },
    );
  }
  const { tenantId, clientId, clientSecret } = parsed.data;
  const version = createHash('sha256').update(secret).digest('hex').slice(0, 16);
  return {
    key: `sp:${tenantId}:${clientId}:${version}:${target.authorityHost ?? ''}`,
    create: () => new ClientSecretCredential(tenantId, clientId, clientSecret, common),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
