import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createScriptProvider } from '../../src/cloud/script/script-provider.ts';
import type { ResourceTarget } from '../../src/engine/ports.ts';
import { createLogger } from '../../src/shared/logger.ts';
import { describeProviderContract, type ProviderHarness } from './provider-contract.ts';
import { allowlistScripts } from '../helpers/allowlist-script.ts';

/** An address someone else put on the allowlist (RFC 5737): the script lists it, EntryGuard must not claim it. */
const FOREIGN = '192.0.2.99/32';

// A script's granularity is the CIDR (no per-port drift), and it lists the whole allowlist.
describeProviderContract('script', { perPortRules: false, listsForeignEntries: true }, async (): Promise<ProviderHarness> => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'eg-script-'));
  const provider = createScriptProvider({
    secrets: { resolve: async () => undefined },
    logger: createLogger({ level: 'silent' }),
  });
  let n = 0;
  const fileOf = (r: ResourceTarget) => String((r.config.env as Record<string, string>).ALLOWLIST);
  const lines = async (r: ResourceTarget) => (await fs.readFile(fileOf(r), 'utf8').catch(() => '')).split('\n').filter(Boolean);
  const faultFile = path.join(dir, 'faults');
  return {
    provider,
    async newResource(opts) {
      n += 1;
      const file = path.join(dir, `allow-${n}.txt`);
      return {
        id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
        orgId: 'org',
        name: `script-${n}`,
        kind: 'script',
        identifier: file,
        region: null,
        ports: opts?.ports ?? [{ protocol: 'tcp', from: 22, to: 22 }],
        config: { ...allowlistScripts(), env: { ALLOWLIST: file, FAULTS: faultFile } },
        credential: null,
      };
    },
    async cloudCidrs(r) {
      return (await lines(r)).filter((l) => l !== FOREIGN);
    },
    async throttle() {
      await fs.writeFile(faultFile, 'throttle\n');
    },
    async arrangePartialFailure(_r, cidrs) {
      await fs.writeFile(faultFile, `reject ${cidrs[0]}\n`);
      return [cidrs[0]!];
    },
    async seedForeign(r) {
      await fs.appendFile(fileOf(r), `${FOREIGN}\n`);
      return async () => (await lines(r)).includes(FOREIGN);
    },
    async clearFaults() {
      await fs.rm(faultFile, { force: true });
    },
    async close() {
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});
