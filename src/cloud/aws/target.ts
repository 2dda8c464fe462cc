import type { z } from 'zod';
import { ProviderError, type ResourceTarget } from '../../engine/ports.ts';

const REGION_RE = /^[a-z]{2}(-[a-z]+)+-\d{1,2}$/;

/** The resource's region; AWS resources must name one (there is no useful default). */
export function requireRegion(resource: ResourceTarget): string {
  const region = resource.region?.trim();
  if (!region || !REGION_RE.test(region)) {
    throw new ProviderError(
      'INVALID_RESOURCE',
      `resource "${resource.name}": ${region ? `"${region}" is not an AWS region` : 'an AWS resource needs a region'} (e.g. eu-west-1)`,
      { retryable: false },
    );
  }
  return region;
}

/** Validates `resource.config` with a provider's zod schema; a bad config is a permanent error. */
export function parseResourceConfig<S extends z.ZodType>(schema: S, resource: ResourceTarget): z.output<S> {
  const parsed = schema.safeParse(resource.config ?? {});
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'config'}: ${i.message}`).join('; ');
  throw new ProviderError('INVALID_CONFIG', `resource "${resource.name}": ${issues}`, { retryable: false });
}

/** The marker EntryGuard writes on what it owns (rule description, prefix-list entry description). */
export function ownerMarker(resource: ResourceTarget): string {
  return `entryguard:${resource.id}`;
}

/** The tag that proves a security-group rule belongs to this resource. */
export const RESOURCE_TAG_KEY = 'entryguard:resource';
