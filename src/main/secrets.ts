import { readFile, realpath } from 'node:fs/promises';
import path from 'node:path';
import { reservedRefProblem } from '../config/reserved-refs.ts';
import type { SecretResolver } from '../engine/ports.ts';

/**
 * Resolves credential references: `env:NAME` from the environment, `file:PATH` from a file
 * (trailing newline trimmed), `default` to nothing (the provider uses its platform's default
 * chain). Secrets are read when a provider needs them and never stored.
 *
 * A reference to EntryGuard's own configuration is refused here too (one stored before config
 * validation refused it), and so is a file that is one of this process's `<KEY>_FILE` secrets,
 * compared by real path: a script resource must never be handed the signing secret or the
 * database password.
 */
export function createSecretResolver(env: Record<string, string | undefined>): SecretResolver {
  const ownFiles = Object.entries(env)
    .filter(([key, value]) => key.endsWith('_FILE') && value)
    .map(([, value]) => value!);
  const realOrSelf = (p: string) => realpath(p).catch(() => path.resolve(p));
  return {
    async resolve(ref) {
      const problem = reservedRefProblem(ref);
      if (problem) throw new Error(`credential reference refused: ${problem}`);
      if (ref.startsWith('env:')) return env[ref.slice(4)];
      if (ref.startsWith('file:')) {
        const file = await realOrSelf(ref.slice(5));
        for (const own of ownFiles) {
          if ((await realOrSelf(own)) === file) throw new Error(`credential reference refused: ${ref.slice(5)} is EntryGuard's own configuration`);
        }
        return (await readFile(file, 'utf8')).replace(/\r?\n$/, '');
      }
      return undefined;
    },
  };
}
