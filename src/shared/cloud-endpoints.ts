import { z } from 'zod';
import { EndpointUrl } from './endpoint-url.ts';

/**
 * Where each cloud's API is reached, for sovereign clouds and private networks. Written as
 * `endpoint:` in a credential's `options` or a resource's `config` (the resource's fields win);
 * checked when the org file is parsed and again by the provider that uses them. Every URL must be
 * https (http only to loopback): see endpoint-url.ts.
 */

const Millis = (min: number, max: number) => z.number().int().min(min, `must be at least ${min} (milliseconds)`).max(max, `must be at most ${max} (milliseconds)`);

/** AWS: EC2 (and STS, for assumed roles) through a VPC interface endpoint or FIPS, with the SDK's retry and timeout settings. */
export const AwsEndpoint = z
  .strictObject({
    /** The EC2 API, e.g. a VPC interface endpoint `https://vpce-0abc….ec2.us-gov-west-1.vpce.amazonaws.com`. */
    url: EndpointUrl().optional(),
    /** STS for assumed roles (`roleArn`); unset = the region's STS (FIPS when useFipsEndpoint). */
    stsUrl: EndpointUrl().optional(),
    /** AWS's FIPS 140 endpoints of the region (ec2-fips…, sts-fips…). */
    useFipsEndpoint: z.boolean().optional(),
    /** Attempts per call, first included (SDK default 3). */
    maxAttempts: z.number().int().min(1, 'must be at least 1').max(10, 'must be at most 10').optional(),
    /** `standard` (default) or `adaptive` (also rate-limits the client after throttling). */
    retryMode: z.enum(['standard', 'adaptive'], { error: 'must be standard or adaptive' }).optional(),
    connectionTimeoutMs: Millis(100, 60_000).optional(),
    requestTimeoutMs: Millis(1_000, 300_000).optional(),
  })
  .superRefine((e, ctx) => {
    // The SDK refuses the combination at the first call; say so when the file is read instead.
    for (const key of ['url', 'stsUrl'] as const) {
      if (e.useFipsEndpoint && e[key]) {
        ctx.addIssue({ code: 'custom', path: [key], message: 'cannot be combined with useFipsEndpoint: point it at a FIPS endpoint yourself, or drop it to let useFipsEndpoint pick AWS\'s' });
      }
    }
  });
export type AwsEndpoint = z.output<typeof AwsEndpoint>;

/** ARM and Entra ID (authority) of each Azure cloud, and the ARM token audience. */
export const AZURE_CLOUDS = {
  public: { armEndpoint: 'https://management.azure.com', authorityHost: 'https://login.microsoftonline.com' },
  usgov: { armEndpoint: 'https://management.usgovcloudapi.net', authorityHost: 'https://login.microsoftonline.us' },
  china: { armEndpoint: 'https://management.chinacloudapi.cn', authorityHost: 'https://login.chinacloudapi.cn' },
} as const;
export type AzureCloud = keyof typeof AZURE_CLOUDS;
const AZURE_CLOUD_NAMES = Object.keys(AZURE_CLOUDS) as AzureCloud[];

/** Azure: a named cloud, or explicit ARM and Entra ID endpoints (Azure Stack, a private ARM), plus the LRO poll interval. */
export const AzureEndpoint = z
  .strictObject({
    cloud: z.enum(AZURE_CLOUD_NAMES, { error: `must be one of ${AZURE_CLOUD_NAMES.join(', ')}` }).optional(),
    armEndpoint: EndpointUrl({ path: false }).optional(),
    authorityHost: EndpointUrl({ path: false }).optional(),
    /** Scope of the ARM token; default `<the cloud's ARM endpoint>/.default`. */
    armAudience: z.string().regex(/^https:\/\/\S+$/, 'must be an https:// audience such as https://management.usgovcloudapi.net').optional(),
    /** How often a long-running rule write is polled (default: the service's Retry-After, or 2 s). */
    pollIntervalMs: Millis(100, 60_000).optional(),
  })
  .superRefine((e, ctx) => {
    // Without a named cloud the two go together: a token from one cloud's authority is useless
    // (and should not be sent) to another cloud's ARM.
    if (!e.cloud && !!e.armEndpoint !== !!e.authorityHost) {
      const missing = e.armEndpoint ? 'authorityHost' : 'armEndpoint';
      ctx.addIssue({ code: 'custom', path: [missing], message: `is required with ${missing === 'armEndpoint' ? 'authorityHost' : 'armEndpoint'} (or name the cloud: ${AZURE_CLOUD_NAMES.join(', ')})` });
    }
  });
export type AzureEndpoint = z.output<typeof AzureEndpoint>;

/** GCP: the Compute Engine API and the OAuth token URL, e.g. Private Service Connect endpoints. */
export const GcpEndpoint = z.strictObject({
  /** e.g. `https://compute-pscname.p.googleapis.com` (scheme, host and port only). */
  apiEndpoint: EndpointUrl({ path: false }).optional(),
  /** Where service-account keys are exchanged for tokens, e.g. `https://oauth2-pscname.p.googleapis.com/token`. */
  tokenUrl: EndpointUrl().optional(),
});
export type GcpEndpoint = z.output<typeof GcpEndpoint>;

/** The endpoint schema for a credential's `provider` or a resource's `kind`, by its cloud prefix. */
export function endpointSchemaFor(providerOrKind: string): z.ZodType | undefined {
  const cloud = providerOrKind.split('-')[0];
  return cloud === 'aws' ? AwsEndpoint : cloud === 'azure' ? AzureEndpoint : cloud === 'gcp' ? GcpEndpoint : undefined;
}
