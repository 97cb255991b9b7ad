import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveConnectionUrl } from '../../../../lib/adapters/db/connection-url.ts';

const urls = suite('resolveConnectionUrl');
const dir = mkdtempSync(join(tmpdir(), 'eg-dburl-'));
for (const name of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, name), `PEM ${name}`);

urls('strips libpq TLS keys, keeps the others, and loads the files (CF binding, verify-ca)', () => {
  const raw = `postgres://u:p@h:5432/db?application_name=eg&sslcert=${dir}/cert.pem&sslkey=${dir}/key.pem&sslmode=verify-ca&sslrootcert=${dir}/ca.pem`;
  const { url, ssl } = resolveConnectionUrl(raw);
  assert.is(url, 'postgres://u:p@h:5432/db?application_name=eg');
  assert.ok(typeof ssl === 'object');
  if (typeof ssl !== 'object' || ssl === null) return;
  assert.equal(
    [ssl.ca, ssl.cert, ssl.key, ssl.rejectUnauthorized],
    ['PEM ca.pem', 'PEM cert.pem', 'PEM key.pem', true],
  );
  assert.is(ssl.checkServerIdentity?.('h', {} as never), undefined, 'verify-ca does not check the host name');
});

urls('maps each sslmode', () => {
  assert.is(resolveConnectionUrl('postgres://h/db').ssl, false);
  assert.is(resolveConnectionUrl('postgres://h/db?sslmode=disable').ssl, false);
  assert.is(resolveConnectionUrl('postgres://h/db?sslmode=prefer').ssl, 'prefer');
  assert.equal(resolveConnectionUrl('postgres://h/db?sslmode=require').ssl, { rejectUnauthorized: false });
  const full = resolveConnectionUrl(`postgresql://h/db?sslmode=verify-full&sslrootcert=${dir}/ca.pem`).ssl;
  assert.equal(full, { ca: 'PEM ca.pem', rejectUnauthorized: true });
});

urls('fails with a message naming the problem', () => {
  const cases: [string, RegExp][] = [
    ['not a url', /not a valid URL/],
    ['mysql://u@h:3306/db', /unsupported scheme 'mysql:'/],
    ['postgres://h/db?sslmode=sometimes', /unsupported sslmode 'sometimes'/],
    [
      'postgres://h/db?sslmode=verify-ca&sslrootcert=/nonexistent/ca.pem',
      /cannot read sslrootcert file '\/nonexistent\/ca.pem'/,
    ],
  ];
  for (const [raw, message] of cases) assert.throws(() => resolveConnectionUrl(raw), message, raw);
});

urls.run();
