import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface TestCertificate {
  /** PEM private key; test-only, never written anywhere but a temp folder that is removed at once. */
  key: string;
  /** PEM self-signed certificate (CA:TRUE, SAN 127.0.0.1 and localhost); clients trust it as their CA. */
  cert: string;
}

let cached: TestCertificate | undefined;

/**
 * A throw-away TLS identity for the loopback Azure fake. The Azure SDK refuses bearer tokens
 * over plain http, so the fake must speak HTTPS; generating the pair per test process keeps
 * private keys out of the repository. One pair per process: openssl takes ~50 ms.
 */
export function createTestCertificate(): TestCertificate {
  if (cached) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'eg-azure-cert-'));
  try {
    const keyFile = path.join(dir, 'key.pem');
    const certFile = path.join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      [
        'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
        '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', '/CN=127.0.0.1',
        '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
        '-addext', 'basicConstraints=critical,CA:TRUE',
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    cached = { key: fs.readFileSync(keyFile, 'utf8'), cert: fs.readFileSync(certFile, 'utf8') };
    return cached;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
