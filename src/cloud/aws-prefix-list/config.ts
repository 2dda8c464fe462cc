import { z } from 'zod';

/** `config` of an `aws-prefix-list` resource; unknown keys are refused so typos are reported. */
export const AwsPrefixListConfig = z.strictObject({
  /**
   * A second customer-managed prefix list of the other address family. A prefix list holds IPv4 or
   * IPv6 entries, never both; with a companion one resource serves dual-stack users.
   */
  companionPrefixListId: z.string().regex(/^pl-[0-9a-f]{8,17}$/, 'must be a prefix list id (pl-…)').optional(),
  /**
   * How often one apply re-reads a list and tries again after losing a race with another writer
   * (PrefixListVersionMismatch, IncorrectState). After that the CIDRs fail as retryable CONFLICT.
   */
  conflictRetries: z.number().int().min(0).max(20).default(5),
  /** Endpoint settings (shared/cloud-endpoints.ts), checked together with the credential's in cloud/endpoints.ts. */
  endpoint: z.unknown().optional(),
});
export type AwsPrefixListConfig = z.infer<typeof AwsPrefixListConfig>;
