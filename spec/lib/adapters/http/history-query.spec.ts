import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parseHistoryQuery } from '../../../../lib/adapters/http/history-query.ts';

const query = suite('parseHistoryQuery');
const bad = (message: string) => ({ ok: false, message });

query('rejects a repeated start and a non-integer start', () => {
  assert.equal(parseHistoryQuery('start=123&start=231'), bad('Incorrect start parameter in query string'));
  assert.equal(parseHistoryQuery('start=abc'), bad('Error parsing start time'));
  assert.equal(parseHistoryQuery('start='), bad('Error parsing start time'));
  assert.equal(parseHistoryQuery('start=1.5'), bad('Error parsing start time'));
  assert.equal(parseHistoryQuery('start=9223372036854775808'), bad('Error parsing start time'));
});

query('rejects a repeated end and a non-integer end', () => {
  assert.equal(parseHistoryQuery('end=123&end=231'), bad('Incorrect end parameter in query string'));
  assert.equal(parseHistoryQuery('end=abc'), bad('Error parsing end time'));
});

query('rejects a repeated order and an unknown order', () => {
  assert.equal(parseHistoryQuery('order=asc&order=asc'), bad('Incorrect order parameter in query string'));
  assert.equal(
    parseHistoryQuery('order=not-order-type'),
    bad('Incorrect order parameter in query string, the value can only be ASC or DESC'),
  );
  assert.equal(
    parseHistoryQuery('order='),
    bad('Incorrect order parameter in query string, the value can only be ASC or DESC'),
  );
});

query('passes all three values and applies defaults', () => {
  assert.equal(parseHistoryQuery('start=123&end=567&order=desc'), { ok: true, start: 123n, end: 567n, order: 'DESC' });
  assert.equal(parseHistoryQuery('end=123&order=desc'), { ok: true, start: 0n, end: 123n, order: 'DESC' });
  assert.equal(parseHistoryQuery('start=123&order=desc'), { ok: true, start: 123n, end: -1n, order: 'DESC' });
  assert.equal(parseHistoryQuery('start=123&end=567'), { ok: true, start: 123n, end: 567n, order: 'ASC' });
  assert.equal(parseHistoryQuery('order=Desc'), { ok: true, start: 0n, end: -1n, order: 'DESC' });
  assert.equal(parseHistoryQuery(''), { ok: true, start: 0n, end: -1n, order: 'ASC' });
});

query('keeps int64 nanosecond values exact and accepts signs', () => {
  assert.equal(parseHistoryQuery('start=1700000000123456789&end=9223372036854775807'), {
    ok: true,
    start: 1700000000123456789n,
    end: 9223372036854775807n,
    order: 'ASC',
  });
  assert.equal(parseHistoryQuery('start=%2B5&end=-7'), { ok: true, start: 5n, end: -7n, order: 'ASC' });
});

query('validates start, end, order in turn, checking repetition only for the one being validated', () => {
  assert.equal(parseHistoryQuery('start=abc&end=1&end=2'), bad('Error parsing start time'));
  assert.equal(parseHistoryQuery('order=x&end=abc'), bad('Error parsing end time'));
  assert.equal(parseHistoryQuery('order=x&order=y&start=1&start=2'), bad('Incorrect start parameter in query string'));
});

query('ignores page and results-per-page', () => {
  assert.equal(parseHistoryQuery('page=2&results-per-page=10&order=ASC'), {
    ok: true,
    start: 0n,
    end: -1n,
    order: 'ASC',
  });
});

query.run();
