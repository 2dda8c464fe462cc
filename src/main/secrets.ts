import { readFile } from 'node:fs/promises';
import type { SecretResolver } from '../engine/ports.ts';

/**
 * Resolves credential references: `env:NAME` from the environment, `file:PATH` from a file
 * (trailing newline trimmed), `default` to nothing (the provider uses its platform's default
 * chain). Secrets are read when a provider needs them and never stored.
 */
export function createSecretResolver(env: Record<string, string | undefined>): SecretResolver {
  return {
    async resolve(ref) {
      if (ref.startsWith('env:')) return env[ref.slice(4)];
      if (ref.startsWith('file:')) return (await readFile(ref.slice(5), 'utf8')).replace(/\r?\n$/, '');
      return undefined;
    },
  };
}
