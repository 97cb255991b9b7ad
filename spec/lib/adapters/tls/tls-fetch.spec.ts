import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:https';
import type { Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTlsFetch } from '../../../../lib/adapters/tls/tls-fetch.ts';
import { createLogCacheClient } from '../../../../lib/adapters/logcache/logcache-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'tls-fetch-'));
const file = (name: string) => join(dir, name);
const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });

// A throw-away CA, a server certificate for 127.0.0.1 and a client certificate.
const makeCertificates = (): void => {
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '1',
    '-subj',
    '/CN=test-ca',
  );
  writeFileSync(file('san.ext'), 'subjectAltName=IP:127.0.0.1\n');
  for (const [name, cn, ext] of [
    ['server', '127.0.0.1', ['-extfile', 'san.ext']],
    ['client', 'eventgenerator', []],
  ] as const) {
    openssl(
      'req',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.csr`,
      '-subj',
      `/CN=${cn}`,
    );
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-out',
      `${name}.pem`,
      '-days',
      '1',
      ...ext,
    );
  }
};

let server: Server;
let url = '';

// ---
const tls = suite('createTlsFetch');

tls.before(async () => {
  makeCertificates();
  server = createServer(
    {
      key: readFileSync(file('server.key')),
      cert: readFileSync(file('server.pem')),
      ca: readFileSync(file('ca.pem')),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (req, res) => {
      const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
      res.writeHead(200, { 'content-type': 'application/json', 'x-client': String(peer.subject?.CN) });
      res.end('{"version":"3.2.12","vm_uptime":"1"}\n');
    },
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

tls.after(() => {
  server.closeAllConnections();
  server.close();
  rmSync(dir, { recursive: true, force: true });
});

tls('presents the client certificate and trusts the given CA', async () => {
  const { fetch, close } = createTlsFetch({
    certFile: file('client.pem'),
    keyFile: file('client.key'),
    caFile: file('ca.pem'),
  });
  const response = await fetch(`${url}/api/v1/info`);
  assert.is(response.headers.get('x-client'), 'eventgenerator');
  await close();
});

tls('serves the log-cache client through the tls option', async () => {
  const client = createLogCacheClient({
    url,
    tls: { certFile: file('client.pem'), keyFile: file('client.key'), caFile: file('ca.pem') },
    timeoutMs: 2000,
    retry: { limit: 0, initialMs: 1, maxMs: 1 },
    concurrency: 1,
  });
  assert.equal(await client.info(), { version: '3.2.12' });
  await client.close();
});

tls('fails without a client certificate', async () => {
  const client = createLogCacheClient({
    url,
    tls: { caFile: file('ca.pem') },
    timeoutMs: 2000,
    retry: { limit: 0, initialMs: 1, maxMs: 1 },
    concurrency: 1,
  });
  const err = await client.info().then(
    () => undefined,
    (e: Error) => e,
  );
  assert.is(err?.name, 'LogCacheTransportError');
  await client.close();
});

tls('refuses an unknown server certificate unless verification is skipped', async () => {
  const strict = createTlsFetch({ certFile: file('client.pem'), keyFile: file('client.key') });
  const refused = await strict.fetch(`${url}/api/v1/info`).then(
    () => undefined,
    (e: Error) => e,
  );
  assert.ok(refused instanceof Error);
  const lax = createTlsFetch({ certFile: file('client.pem'), keyFile: file('client.key'), skipSslValidation: true });
  assert.is((await lax.fetch(`${url}/api/v1/info`)).status, 200);
  await Promise.all([strict.close(), lax.close()]);
});

tls('names a missing file and a certificate without its key', () => {
  assert.throws(
    () => createTlsFetch({ certFile: file('nope.pem'), keyFile: file('client.key') }),
    /cannot read TLS certificate file .*nope\.pem/,
  );
  assert.throws(() => createTlsFetch({ certFile: file('client.pem') }), /needs both a cert file and a key file/);
});

tls.run();
