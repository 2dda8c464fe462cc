import { z } from 'zod';

/**
 * A `script` resource runs shell commands for each CIDR. Each command gets the change in its
 * environment (see README): EG_ACTION, EG_CIDR, EG_IP, EG_IP_VERSION, EG_PORTS, EG_PROTOCOLS,
 * EG_RESOURCE_ID, EG_RESOURCE_NAME, EG_RESOURCE_IDENTIFIER, EG_REGION, and EG_CREDENTIAL when the
 * resource names a credential. Exit 0 = done, 75 (EX_TEMPFAIL) = try again later, anything else
 * = failed for good with stderr as the reason.
 */
export const ScriptResourceConfig = z.object({
  apply: z.string().min(1, 'apply command is required'),
  revoke: z.string().min(1, 'revoke command is required'),
  /** Prints the CIDRs (or bare IP addresses) currently allowed, one per line; enables drift repair. See list-output.ts. */
  list: z.string().min(1).optional(),
  /** Exits 0 when the target is reachable and changeable. */
  verify: z.string().min(1).optional(),
  timeoutSeconds: z.number().int().positive().max(600).default(30),
  /** How many CIDRs are processed at once; 1 keeps scripts that rewrite one file safe. */
  concurrency: z.number().int().min(1).max(16).default(1),
  /** Extra, non-secret variables for the commands. */
  env: z.record(z.string().regex(/^[A-Z_][A-Z0-9_]*$/), z.string()).default({}),
  cwd: z.string().optional(),
});
export type ScriptResourceConfig = z.infer<typeof ScriptResourceConfig>;
