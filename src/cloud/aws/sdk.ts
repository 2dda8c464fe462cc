import { createRequire } from 'node:module';
import type * as Ec2Sdk from '@aws-sdk/client-ec2';

/**
 * The EC2 SDK's runtime values, loaded from its single-file CommonJS bundle: that loads in about
 * 60% of the time of the ESM build's many files (measured on a 2-core host: ~1.1 s vs ~1.9 s,
 * more under load), and it is paid when the first AWS resource syncs. Only this module loads the
 * SDK at runtime, so there is one copy; errors are matched by name, never by class, so no
 * dual-package `instanceof` can go wrong. Types still come from `import type`.
 */
const load = createRequire(import.meta.url);
const sdk = load('@aws-sdk/client-ec2') as typeof Ec2Sdk;

export const {
  EC2Client,
  AuthorizeSecurityGroupIngressCommand,
  RevokeSecurityGroupIngressCommand,
  DescribeSecurityGroupsCommand,
  DescribeManagedPrefixListsCommand,
  ModifyManagedPrefixListCommand,
  paginateDescribeSecurityGroupRules,
  paginateGetManagedPrefixListEntries,
} = sdk;
