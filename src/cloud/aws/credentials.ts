/**
 * AWS credentials from references only: `env:NAME` / `file:PATH` name a JSON secret
 * `{"accessKeyId","secretAccessKey","sessionToken"?}` read through the SecretResolver; `default`
 * (or no credential) means the SDK's default chain. `options.roleArn` (+ `externalId`,
 * `sessionName`) assumes a role with those as the source credentials.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { EC2ClientConfig } from '@aws-sdk/client-ec2';
import { ProviderError, type CredentialRef } from '../../engine/ports.ts';
import type { ProviderDeps } from '../deps.ts';
import type { AwsEndpoint } from '../../shared/cloud-endpoints.ts';
import { sdkCommonConfig, type AwsOverrides } from './settings.ts';

export const AwsStaticSecret = z.object({
  accessKeyId: z.string().min(1).max(128),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1).optional(),
});
export type AwsStaticSecret = z.infer<typeof AwsStaticSecret>;

export const AwsCredentialOptions = z
  .strictObject({
    roleArn: z.string().regex(/^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'must be an IAM role ARN').optional(),
    externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, 'must be 2-1224 characters of [\\w+=,.@:/-]').optional(),
    sessionName: z.string().regex(/^[\w+=,.@-]{2,64}$/, 'must be 2-64 characters of [\\w+=,.@-]').optional(),
    durationSeconds: z.number().int().min(900).max(43_200).optional(),
    /** Endpoint settings (shared/cloud-endpoints.ts), checked together with the resource's in cloud/endpoints.ts. */
    endpoint: z.unknown().optional(),
  })
  .refine((o) => o.roleArn !== undefined || (o.externalId === undefined && o.sessionName === undefined), {
    message: 'externalId and sessionName need a roleArn',
  });
export type AwsCredentialOptions = z.infer<typeof AwsCredentialOptions>;

type AwsCredentials = NonNullable<EC2ClientConfig['credentials']>;

export interface CredentialSpec {
  /** Changes whenever the referenced secret or the options change; holds no secret. */
  fingerprint: string;
  /** Builds the SDK credentials (STS reached as `endpoint` says); `undefined` = the SDK default chain. */
  build(region: string, endpoint: AwsEndpoint): Promise<AwsCredentials | undefined>;
}

/** Reads the reference now (so a rotated secret gets a new fingerprint); builds credentials lazily. */
export async function readCredentialSpec(deps: ProviderDeps, ref: CredentialRef | null): Promise<CredentialSpec> {
  const name = ref?.name ?? '(default chain)';
  const options = parseOptions(ref, name);
  const secretRef = ref?.secretRef?.trim() || 'default';
  const base = secretRef === 'default' ? undefined : await readStaticSecret(deps, secretRef, name);
  const fingerprint = createHash('sha256')
    .update(JSON.stringify([secretRef, options, base ?? null]))
    .digest('hex')
    .slice(0, 24);
  return {
    fingerprint,
    async build(region, endpoint) {
      if (!options.roleArn) return base;
      // Loaded only when a role is assumed: the package pulls in every credential provider.
      const { fromTemporaryCredentials, fromNodeProviderChain } = await import('@aws-sdk/credential-providers');
      const aws = deps.overrides?.aws;
      return fromTemporaryCredentials({
        masterCredentials: base ?? fromNodeProviderChain(),
        params: {
          RoleArn: options.roleArn,
          RoleSessionName: options.sessionName ?? 'entryguard',
          ...(options.externalId ? { ExternalId: options.externalId } : {}),
          ...(options.durationSeconds ? { DurationSeconds: options.durationSeconds } : {}),
        },
        clientConfig: {
          region,
          // An EC2 VPC endpoint serves EC2 only: STS gets its own (or the region's, FIPS or not).
          ...stsEndpoint(endpoint, aws),
          ...sdkCommonConfig(aws, endpoint),
        },
      });
    },
  };
}

function stsEndpoint(e: AwsEndpoint, o: AwsOverrides | undefined): { endpoint?: string } {
  const url = e.stsUrl ?? (e.useFipsEndpoint ? undefined : (o?.stsEndpoint ?? o?.endpoint));
  return url ? { endpoint: url } : {};
}

function parseOptions(ref: CredentialRef | null, name: string): AwsCredentialOptions {
  const parsed = AwsCredentialOptions.safeParse(ref?.options ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'options'}: ${i.message}`).join('; ');
  throw new ProviderError('CREDENTIAL_INVALID', `credential "${name}": ${issues}`, { retryable: false });
}

async function readStaticSecret(deps: ProviderDeps, secretRef: string, name: string): Promise<AwsStaticSecret> {
  let raw: string | undefined;
  try {
    raw = await deps.secrets.resolve(secretRef);
  } catch (err) {
    throw new ProviderError('CREDENTIAL_UNAVAILABLE', `credential "${name}": could not read ${secretRef}`, { retryable: false, cause: err });
  }
  if (raw === undefined || raw.trim() === '')
    throw new ProviderError('CREDENTIAL_MISSING', `credential "${name}": ${secretRef} is not set`, { retryable: false });
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch {
    // Never echo the content: it is a secret.
    const message = `credential "${name}": ${secretRef} is not JSON ({"accessKeyId","secretAccessKey","sessionToken"?})`;
    throw new ProviderError('CREDENTIAL_INVALID', message, { retryable: false });
  }
  const parsed = AwsStaticSecret.safeParse(json);
  if (!parsed.success) {
    const fields = [...new Set(parsed.error.issues.map((i) => i.path.join('.')))].join(', ');
    throw new ProviderError('CREDENTIAL_INVALID', `credential "${name}": ${secretRef} has missing or invalid fields: ${fields}`, { retryable: false });
  }
  return parsed.data;
}
