import { z } from 'zod';

/**
 * `config` of an `aws-security-group` resource. Unknown keys are refused so a typo (say
 * `maxRulesPerSG`) is reported instead of silently ignored.
 */
export const AwsSecurityGroupConfig = z.strictObject({
  /**
   * The account's "Inbound rules per security group" quota (AWS default 60, counted separately for
   * IPv4 and IPv6). Raise it only after raising the quota in AWS Service Quotas.
   */
  maxRulesPerGroup: z.number().int().min(1).max(1000).default(60),
  /** Endpoint settings (shared/cloud-endpoints.ts), checked together with the credential's in cloud/endpoints.ts. */
  endpoint: z.unknown().optional(),
});
export type AwsSecurityGroupConfig = z.infer<typeof AwsSecurityGroupConfig>;
