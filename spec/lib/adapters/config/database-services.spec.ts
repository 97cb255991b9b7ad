import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveDatabaseUrl, withQueryParams } from '../../../../lib/adapters/config/database-services.ts';
import { isConfigError } from '../../../../lib/adapters/config/config-error.ts';
import type { VcapService } from '../../../../lib/adapters/config/vcap.ts';

const CERT = '-----BEGIN CERTIFICATE-----\nclient\n-----END CERTIFICATE-----\n';
const KEY = '-----BEGIN PRIVATE KEY-----\nkey\n-----END PRIVATE KEY-----\n';
const CA = '-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----\n';
const URI = 'postgres://u:p@h:5432/db?sslmode=verify-ca';

const tempRoot = () => mkdtempSync(join(tmpdir(), 'db-services-spec-'));
const service = (tags: string[], credentials: Record<string, unknown>): VcapService => ({
  name: 'database',
  tags,
  credentials,
});

// ---
const resolve = suite('resolveDatabaseUrl');

resolve('writes TLS credentials to private files and adds their paths, keys sorted', () => {
  const root = tempRoot();
  try {
    const services = [
      service(['policy_db', 'appmetrics_db'], { uri: URI, client_cert: CERT, client_key: KEY, server_ca: CA }),
    ];
    for (const db of ['policy_db', 'appmetrics_db']) {
      const url = resolveDatabaseUrl(services, db, root);
      const query = url.slice(url.indexOf('?') + 1);
      assert.is(url.slice(0, url.indexOf('?')), 'postgres://u:p@h:5432/db');
      assert.equal(
        query.split('&').map((p) => p.split('=')[0]),
        ['sslcert', 'sslkey', 'sslmode', 'sslrootcert'],
      );
      const params = new URLSearchParams(query);
      assert.is(params.get('sslcert'), join(root, db, 'client_cert.sslcert'));
      assert.is(params.get('sslkey'), join(root, db, 'client_key.sslkey'));
      assert.is(params.get('sslrootcert'), join(root, db, 'server_ca.sslrootcert'));
      assert.is(params.get('sslmode'), 'verify-ca');
      assert.is(readFileSync(join(root, db, 'client_cert.sslcert'), 'utf8'), CERT);
      assert.is(readFileSync(join(root, db, 'client_key.sslkey'), 'utf8'), KEY);
      assert.is(readFileSync(join(root, db, 'server_ca.sslrootcert'), 'utf8'), CA);
      assert.is(statSync(join(root, db)).mode & 0o777, 0o700);
      assert.is(statSync(join(root, db, 'client_key.sslkey')).mode & 0o777, 0o600);
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

resolve('escapes the file paths as Go does (slashes as %2F)', () => {
  const root = tempRoot();
  try {
    const url = resolveDatabaseUrl(
      [service(['policy_db'], { uri: 'postgres://h/db', server_ca: CA })],
      'policy_db',
      root,
    );
    assert.is(
      url,
      `postgres://h/db?sslrootcert=${join(root, 'policy_db', 'server_ca.sslrootcert').replaceAll('/', '%2F')}`,
    );
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

resolve('uses a MySQL-tagged URI unchanged and writes no files', () => {
  const root = tempRoot();
  try {
    const uri = 'u:p@tcp(h:3306)/db?tls=custom';
    const url = resolveDatabaseUrl(
      [service(['policy_db', 'MySQL'], { uri, client_cert: CERT, client_key: KEY, server_ca: CA })],
      'policy_db',
      root,
    );
    assert.is(url, uri);
    assert.not.ok(existsSync(join(root, 'policy_db')));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

resolve('returns the URI as it stands when it carries no TLS credentials', () => {
  assert.is(
    resolveDatabaseUrl([service(['appmetrics_db'], { uri: URI, client_cert: '' })], 'appmetrics_db', '/nonexistent'),
    URI,
  );
});

resolve('returns "" when no service has the tag', () => {
  assert.is(resolveDatabaseUrl([service(['policy_db'], { uri: URI })], 'appmetrics_db', '/nonexistent'), '');
});

resolve('fails without a uri credential, naming the database key', () => {
  try {
    resolveDatabaseUrl([service(['policy_db'], { url: URI })], 'policy_db', '/nonexistent');
    assert.unreachable('expected a failure');
  } catch (err) {
    assert.ok(isConfigError(err));
    assert.match(err.message, 'failed to get required credential from service: uri');
    assert.is(err.key, 'db.policy_db.url');
  }
});

resolve('fails on a credential that is not text', () => {
  try {
    resolveDatabaseUrl([service(['policy_db'], { uri: URI, client_cert: { pem: 'x' } })], 'policy_db', '/nonexistent');
    assert.unreachable('expected a failure');
  } catch (err) {
    assert.ok(isConfigError(err));
    assert.match(err.message, 'client_cert');
  }
});

// ---
const query = suite('withQueryParams');

query('keeps existing parameters, replaces given ones and sorts keys', () => {
  assert.is(
    withQueryParams('postgres://h/db?z=1&b=two+words&a=%2Fx', { b: 'new', c: 'a b' }),
    'postgres://h/db?a=%2Fx&b=new&c=a+b&z=1',
  );
});

query('keeps repeated values and the fragment', () => {
  assert.is(withQueryParams('postgres://h/db?k=2&k=1#frag', { a: '*' }), 'postgres://h/db?a=%2A&k=2&k=1#frag');
});

resolve.run();
query.run();
