import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createTagCache } from '../../../../lib/core/envelope/tag-cache.ts';

// Each call gets fresh objects and strings, as every decoded envelope does.
const tags = (index: string): Record<string, unknown> =>
  JSON.parse(`{"app_id":"a-guid","index":"${index}","origin":"rep"}`);

const test = suite('createTagCache');

test('hands out one copy for equal tags of one source and instance, across calls', () => {
  const cache = createTagCache(100, 4);
  const first = cache.share('app', '0', tags('g-0'));
  cache.share('app', '1', tags('g-1'));
  const again = cache.share('app', '0', tags('g-0'));
  assert.ok(first !== undefined && again !== undefined);
  assert.is(again, first);
  assert.is(again.tags, first.tags);
  assert.equal(first.tags, { app_id: 'a-guid', index: 'g-0', origin: 'rep' });
});

test('keeps apart tags that differ, and the same tags of other instances or sources', () => {
  const cache = createTagCache(100, 4);
  const base = cache.share('app', '0', tags('g-0'))!;
  assert.is.not(cache.share('app', '0', tags('g-9'))!.tags, base.tags, 'another value');
  assert.is.not(cache.share('app', '0', { ...tags('g-0'), extra: 'x' })!.tags, base.tags, 'one more tag');
  const { origin: _dropped, ...fewer } = tags('g-0');
  assert.is.not(cache.share('app', '0', fewer)!.tags, base.tags, 'one tag less');
  assert.is.not(cache.share('app', '1', tags('g-0'))!.tags, base.tags, 'another instance');
  assert.is.not(cache.share('other', '0', tags('g-0'))!.tags, base.tags, 'another source');
});

test('shares the strings of another instance of the source in a new copy', () => {
  const cache = createTagCache(100, 4);
  const a = cache.share('app', '0', tags('g-0'))!;
  const b = cache.share('app', '1', tags('g-1'))!;
  assert.is(b.tags['app_id'], a.tags['app_id']);
  assert.equal(b.tags, { app_id: 'a-guid', index: 'g-1', origin: 'rep' });
});

test('declines values that are not strings and symbol keys, whatever it kept before', () => {
  const cache = createTagCache(100, 4);
  cache.share('app', '0', { a: 'x', c: 'y' });
  assert.is(cache.share('app', '0', { a: 'x', b: undefined }), undefined, 'undefined against a kept set of equal size');
  assert.is(cache.share('app', '0', { a: 'x', toString: Object.prototype.toString }), undefined, 'an inherited member');
  assert.is(cache.share('app', '0', { a: 1 }), undefined);
  assert.is(cache.share('app', '0', { a: 'x', [Symbol('s')]: 'y' }), undefined);
});

test('keeps an own "__proto__" tag as a tag', () => {
  const cache = createTagCache(100, 4);
  const slot = cache.share('app', '0', JSON.parse('{"__proto__":"x"}'))!;
  assert.equal(Object.keys(slot.tags), ['__proto__']);
  assert.is(Object.getPrototypeOf(slot.tags), Object.prototype);
  assert.is(cache.share('app', '0', JSON.parse('{"__proto__":"x"}')), slot);
});

test('stays bounded: past its slots it starts afresh, per source it keeps the newest', () => {
  const cache = createTagCache(3, 2);
  const kept = cache.share('app', '0', tags('g-0'))!;
  cache.share('app', '0', tags('g-1'));
  cache.share('app', '0', tags('g-2'));
  assert.is.not(cache.share('app', '0', tags('g-0')), kept, 'the oldest of the source went');
  const other = cache.share('b', '0', tags('g-0'))!;
  cache.share('c', '0', tags('g-0'));
  cache.share('d', '0', tags('g-0'));
  assert.is.not(cache.share('b', '0', tags('g-0')), other, 'the cache started afresh');
});

test.run();
