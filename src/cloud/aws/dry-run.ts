import { hasAwsCode, toProviderError, type AwsErrorContext } from './errors.ts';

export interface DryRunResult {
  permitted: boolean;
  /** Why not (a user-readable ProviderError message), when not permitted. */
  reason?: string | undefined;
}

/**
 * Runs an EC2 call with DryRun=true. AWS answers DryRunOperation when the caller may perform it
 * and UnauthorizedOperation when not, without changing anything.
 */
export async function dryRun(send: () => Promise<unknown>, ctx: AwsErrorContext): Promise<DryRunResult> {
  try {
    await send();
    return { permitted: true };
  } catch (err) {
    if (hasAwsCode(err, 'DryRunOperation')) return { permitted: true };
    return { permitted: false, reason: toProviderError(err, ctx).message };
  }
}
