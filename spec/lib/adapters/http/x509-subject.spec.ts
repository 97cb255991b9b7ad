import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { subjectOrganizationalUnits } from '../../../../lib/adapters/http/x509-subject.ts';
import { createCertificateFactory } from './test-certificates.ts';

const certs = createCertificateFactory();
const der = (subject: string) => Buffer.from(certs.xfcc(subject), 'base64');

const units = suite('subjectOrganizationalUnits');

units('lists the OUs of a multi-valued RDN', () => {
  const found = subjectOrganizationalUnits(der('/OU=space:validspace+OU=organization:validorg/CN=x'));
  assert.equal([...found].sort(), ['organization:validorg', 'space:validspace']);
});

units('lists separate OU RDNs in certificate order, unescaped', () => {
  assert.equal(
    subjectOrganizationalUnits(der('/O=acme/OU=organization:org-1/OU=space:sp\\+ace/OU=app:a"b\\,c/CN=x\\,y')),
    ['organization:org-1', 'space:sp+ace', 'app:a"b,c'],
  );
});

units('returns nothing for a subject without OUs', () => {
  assert.equal(subjectOrganizationalUnits(der('/CN=only')), []);
});

units('rejects bytes that are not one DER certificate', () => {
  const good = der('/CN=x');
  assert.throws(() => subjectOrganizationalUnits(Buffer.from('not a certificate')));
  assert.throws(() => subjectOrganizationalUnits(good.subarray(0, good.length - 10)));
  assert.throws(() => subjectOrganizationalUnits(Buffer.concat([good, Buffer.from([0])])));
  assert.throws(() => subjectOrganizationalUnits(Buffer.alloc(0)));
});

units.after(() => certs.cleanup());
units.run();
