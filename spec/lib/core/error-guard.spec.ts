import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { errorGuard } from '../../../lib/core/error-guard.ts';

class SampleError extends Error {
  override name = 'SampleError' as const;
}
const isSampleError = errorGuard(SampleError);

const test = suite('errorGuard');

test('recognises instances of the class and of its subclasses', () => {
  class NarrowerError extends SampleError {}
  assert.ok(isSampleError(new SampleError('x')));
  assert.ok(isSampleError(new NarrowerError('x')));
});

test('recognises an Error of another class that carries the name', () => {
  const copy = new Error('from a second copy of the module');
  copy.name = 'SampleError';
  assert.ok(isSampleError(copy));
});

test('rejects other errors and anything that is not an Error', () => {
  assert.not.ok(isSampleError(new Error('x')));
  assert.not.ok(isSampleError(new TypeError('x')));
  assert.not.ok(isSampleError({ name: 'SampleError', message: 'x' }));
  assert.not.ok(isSampleError('SampleError'));
  assert.not.ok(isSampleError(undefined));
  assert.not.ok(isSampleError(null));
});

test.run();
