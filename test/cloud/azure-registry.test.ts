import { expect, it } from 'vitest';
import { createProviderRegistry, isProviderKind } from '../../src/cloud/registry.ts';
import { createLogger } from '../../src/shared/logger.ts';

it('registers azure-nsg as a lazily loaded provider kind', async () => {
  expect(isProviderKind('azure-nsg')).toBe(true);
  const registry = createProviderRegistry({ secrets: { resolve: async () => undefined }, logger: createLogger({ level: 'silent' }) });
  const provider = await registry.get('azure-nsg');
  expect(provider.kind).toBe('azure-nsg');
  expect(await registry.get('azure-nsg')).toBe(provider);
});
