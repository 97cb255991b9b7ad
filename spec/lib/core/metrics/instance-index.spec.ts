import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseInstanceIndex } from '../../../../lib/core/metrics/instance-index.ts';

const index = suite('parseInstanceIndex');

index('reads unsigned decimal text below 2^32', () => {
  assert.equal(['0', '7', '007', '4294967295'].map(parseInstanceIndex), [0, 7, 7, 4294967295]);
});

index('refuses anything else', () => {
  for (const text of ['', 'abc', '-1', '+1', ' 1', '1.0', '1e3', '4294967296', 'iam-no-uint', '０'])
    assert.is(parseInstanceIndex(text), undefined, text);
});

index.run();
