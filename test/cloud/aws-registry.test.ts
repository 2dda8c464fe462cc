import { describe, expect, it } from 'vitest';
import { createProviderRegistry, isProviderKind } from '../../src/cloud/registry.ts';
import { createLogger } from '../../src/shared/logger.ts';

describe('AWS kinds in the provider registry', () => {
  it.each(['aws-security-group', 'aws-prefix-list'])('loads %s lazily', async (kind) => {
    expect(isProviderKind(kind)).toBe(true);
    const registry = createProviderRegistry({ secrets: { resolve: async () => undefined }, logger: createLogger({ level: 'silent' }) });
    const provider = await registry.get(kind);
    expect(provider.kind).toBe(kind);
    expect(await registry.get(kind)).toBe(provider);
  });
});
