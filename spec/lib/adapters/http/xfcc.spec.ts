import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { authenticateXfcc } from '../../../../lib/adapters/http/xfcc.ts';
import { createCertificateFactory } from './test-certificates.ts';

const certs = createCertificateFactory();
const combined = (space: string, org: string) => certs.xfcc(`/OU=space:${space}+OU=organization:${org}/CN=x`);
const VALID = { validOrgGuid: 'validorg', validSpaceGuid: 'validspace' };
const check = (header: string | undefined, options = VALID) =>
  authenticateXfcc({ headers: header === undefined ? {} : { 'x-forwarded-client-cert': header } }, options);

const xfcc = suite('authenticateXfcc');

xfcc('rejects a missing or empty header as "xfcc header not found"', () => {
  assert.equal(check(undefined), { ok: false, reason: 'xfcc header not found' });
  assert.equal(check(''), { ok: false, reason: 'xfcc header not found' });
});

xfcc('accepts a certificate with the configured space and org', () => {
  assert.equal(check(combined('validspace', 'validorg')), { ok: true });
});

xfcc('accepts a CF instance certificate with separate OUs', () => {
  const cert = certs.xfcc(
    '/OU=organization:validorg/OU=space:validspace/OU=app:7c1f5b5e-1a2b-4c3d-8e9f-0a1b2c3d4e5f/CN=instance',
  );
  assert.equal(check(cert), { ok: true });
});

xfcc('rejects the wrong org as "org guid is wrong"', () => {
  assert.equal(check(combined('validspace', 'wrong-org-guid')), { ok: false, reason: 'org guid is wrong' });
});

xfcc('rejects the wrong space as "space guid is wrong", checked before the org', () => {
  assert.equal(check(combined('wrong-space-guid', 'validorg')), { ok: false, reason: 'space guid is wrong' });
  assert.equal(check(combined('wrong-space-guid', 'wrong-org-guid')), { ok: false, reason: 'space guid is wrong' });
});

xfcc('checks only the org when no space is configured', () => {
  const orgOnly = { validOrgGuid: 'validorg', validSpaceGuid: '' };
  assert.equal(check(combined('any-space-guid', 'validorg'), orgOnly), { ok: true });
  assert.equal(check(combined('any-space-guid', 'wrong-org-guid'), orgOnly), {
    ok: false,
    reason: 'org guid is wrong',
  });
});

xfcc('rejects headers that are not base64 or not a certificate', () => {
  const notBase64 = check('not%base64!');
  assert.is(notBase64.ok, false);
  assert.is(check(combined('validspace', 'validorg').slice(0, -1)).ok, false);
  assert.is(check(` ${combined('validspace', 'validorg')}`).ok, false);
  assert.is(check(Buffer.from('definitely not a certificate').toString('base64')).ok, false);
  assert.is(
    check(Buffer.from(certs.xfcc('/OU=space:validspace+OU=organization:validorg/CN=x'), 'base64').toString('utf8')).ok,
    false,
  );
});

xfcc('rejects a PEM certificate: the header carries DER only', () => {
  const der = Buffer.from(combined('validspace', 'validorg'), 'base64');
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64')}\n-----END CERTIFICATE-----\n`;
  assert.is(check(Buffer.from(pem).toString('base64')).ok, false);
});

xfcc('with an empty configured org, accepts only certificates without one', () => {
  const noOrg = { validOrgGuid: '', validSpaceGuid: '' };
  assert.equal(check(certs.xfcc('/OU=space:s/CN=x'), noOrg), { ok: true });
  assert.equal(check(combined('s', 'validorg'), noOrg), { ok: false, reason: 'org guid is wrong' });
});

xfcc('takes the guid from the first OU containing the key, "" when the pair is absent', () => {
  // "myspace:x" contains "space:" but holds no "space" pair, so the space reads as "".
  assert.equal(check(certs.xfcc('/OU=myspace:validspace/OU=space:validspace/OU=organization:validorg/CN=x')), {
    ok: false,
    reason: 'space guid is wrong',
  });
  // Several pairs in one OU: the matching name wins.
  assert.equal(check(certs.xfcc('/OU=app:a1 space:validspace organization:validorg/CN=x')), { ok: true });
});

xfcc.after(() => certs.cleanup());
xfcc.run();
