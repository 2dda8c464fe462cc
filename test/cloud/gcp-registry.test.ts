import { describe, expect, it } from 'vitest';
import { createProviderRegistry, isProviderKind } from '../../src/cloud/registry.ts';
import { createLogger } from '../../src/shared/logger.ts';

describe('gcp-firewall registration', () => {
  it('is a known kind, loaded on first use', async () => {
    expect(isProviderKind('gcp-firewall')).toBe(true);
    const registry = createProviderRegistry({ secrets: { resolve: async () => undefined }, logger: createLogger({ level: 'silent' }) });
    const provider = await registry.get('gcp-firewall');
    expect(provider.kind).toBe('gcp-firewall');
    expect(await registry.get('gcp-firewall')).toBe(provider);
  });
});
