import type { z } from 'zod';
import { ProviderError, type ResourceTarget } from '../engine/ports.ts';

/**
 * A resource's endpoint settings: its credential's `options.endpoint` with the resource's own
 * `config.endpoint` on top, field by field, so a credential can name the cloud once and one
 * resource can still reach it through a private endpoint. Re-validated here because resources
 * also arrive from the database and the API, not only from a checked org file. Throws a permanent
 * INVALID_CONFIG ProviderError naming the offending field.
 */
export function resolveEndpoint<S extends z.ZodType>(schema: S, resource: ResourceTarget): z.output<S> {
  const parts = [resource.credential?.options.endpoint, resource.config.endpoint].filter((p) => p !== undefined);
  // Something other than a mapping goes to the schema alone, which says what it expected.
  const notMapping = parts.find((p) => !isMapping(p));
  const parsed = schema.safeParse(notMapping ?? Object.assign({}, ...parts));
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `endpoint.${i.path.join('.') || ''}: ${i.message}`.replace('.: ', ': ')).join('; ');
  throw new ProviderError('INVALID_CONFIG', `resource "${resource.name}": ${issues}`, { retryable: false });
}

/** A stable cache-key part for settings that pick a different client. */
export function endpointKey(settings: unknown): string {
  return JSON.stringify(settings, Object.keys((settings ?? {}) as object).sort());
}

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
