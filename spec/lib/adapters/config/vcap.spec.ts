import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  findServiceByTag,
  isCloudFoundry,
  parseVcapApplication,
  parseVcapServices,
} from '../../../../lib/adapters/config/vcap.ts';

// ---
const detect = suite('isCloudFoundry');

detect('is on only when VCAP_APPLICATION is not blank', () => {
  assert.is(isCloudFoundry({}), false);
  assert.is(isCloudFoundry({ VCAP_APPLICATION: ' \n\t' }), false);
  assert.is(isCloudFoundry({ VCAP_APPLICATION: '{}' }), true);
});

// ---
const services = suite('parseVcapServices and findServiceByTag');

services('lists services of every label in order and skips malformed entries', () => {
  const list = parseVcapServices({
    VCAP_SERVICES: JSON.stringify({
      'user-provided': [{ name: 'a', tags: ['One', 7], credentials: { k: 1 } }, 'junk', null],
      postgres: [{ name: 'b', tags: ['one'] }],
      odd: { not: 'a list' },
    }),
  });
  assert.equal(list, [
    { name: 'a', tags: ['One'], credentials: { k: 1 } },
    { name: 'b', tags: ['one'], credentials: {} },
  ]);
  assert.is(findServiceByTag(list, 'ONE')?.name, 'a');
  assert.is(findServiceByTag(list, 'two'), undefined);
});

services('treats a blank VCAP_SERVICES as no services and rejects other non-JSON', () => {
  assert.equal(parseVcapServices({}), []);
  assert.equal(parseVcapServices({ VCAP_SERVICES: ' ' }), []);
  assert.throws(() => parseVcapServices({ VCAP_SERVICES: '[' }), /VCAP_SERVICES is not valid JSON/);
  assert.throws(() => parseVcapServices({ VCAP_SERVICES: '[]' }), /VCAP_SERVICES must be a JSON object/);
});

// ---
const application = suite('parseVcapApplication');

application('reads the org and space guids, "" when absent or not text', () => {
  assert.equal(parseVcapApplication({ VCAP_APPLICATION: '{"organization_id":"o","space_id":"s"}' }), {
    orgGuid: 'o',
    spaceGuid: 's',
  });
  assert.equal(parseVcapApplication({ VCAP_APPLICATION: '{"space_id":5}' }), { orgGuid: '', spaceGuid: '' });
  assert.throws(() => parseVcapApplication({ VCAP_APPLICATION: 'x' }), /VCAP_APPLICATION is not valid JSON/);
});

detect.run();
services.run();
application.run();
