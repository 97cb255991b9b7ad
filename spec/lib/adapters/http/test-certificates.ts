import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

/** Test certificates made with the openssl CLI in a private temp dir; call cleanup() when done. */
export interface CertificateFactory {
  readonly dir: string;
  /** A self-signed certificate with the given subject (e.g. "/OU=space:s+OU=organization:o/CN=x"), as base64 DER (the XFCC form). */
  xfcc(subject: string): string;
  /** A CA plus a server certificate for 127.0.0.1 and a client certificate, as file paths. */
  tlsSet(): {
    readonly caFile: string;
    readonly serverCert: string;
    readonly serverKey: string;
    readonly clientCert: string;
    readonly clientKey: string;
  };
  cleanup(): void;
}

const openssl = (args: readonly string[]) => execFileSync('openssl', args, { stdio: ['ignore', 'pipe', 'pipe'] });

export const createCertificateFactory = (): CertificateFactory => {
  const dir = mkdtempSync(join(tmpdir(), 'http-spec-certs-'));
  let n = 0;
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  return {
    dir,
    xfcc(subject) {
      const base = join(dir, `xfcc-${++n}`);
      openssl([
        'req',
        '-x509',
        ...ec,
        '-keyout',
        `${base}.key`,
        '-out',
        `${base}.pem`,
        '-days',
        '1',
        '-multivalue-rdn',
        '-subj',
        subject,
      ]);
      return new X509Certificate(readFileSync(`${base}.pem`)).raw.toString('base64');
    },
    tlsSet() {
      const base = join(dir, `tls-${++n}`);
      openssl([
        'req',
        '-x509',
        ...ec,
        '-keyout',
        `${base}-ca.key`,
        '-out',
        `${base}-ca.pem`,
        '-days',
        '1',
        '-subj',
        '/CN=test-ca',
      ]);
      writeFileSync(`${base}-ext.cnf`, 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
      for (const role of ['server', 'client']) {
        openssl([
          'req',
          ...ec,
          '-keyout',
          `${base}-${role}.key`,
          '-out',
          `${base}-${role}.csr`,
          '-subj',
          `/CN=${role}`,
        ]);
        openssl([
          'x509',
          '-req',
          '-in',
          `${base}-${role}.csr`,
          '-CA',
          `${base}-ca.pem`,
          '-CAkey',
          `${base}-ca.key`,
          '-CAcreateserial',
          '-days',
          '1',
          '-out',
          `${base}-${role}.pem`,
          ...(role === 'server' ? ['-extfile', `${base}-ext.cnf`] : []),
        ]);
      }
      return {
        caFile: `${base}-ca.pem`,
        serverCert: `${base}-server.pem`,
        serverKey: `${base}-server.key`,
        clientCert: `${base}-client.pem`,
        clientKey: `${base}-client.key`,
      };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
};
