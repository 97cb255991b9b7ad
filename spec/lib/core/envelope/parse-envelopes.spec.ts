import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  createRejectionCounter,
  OTHER_REASONS,
  parseEnvelopes,
} from '../../../../lib/core/envelope/parse-envelopes.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';
import { marbles } from '../../../support/marbles.ts';

const wire = (timestamp: string) => ({
  timestamp,
  source_id: 'app',
  instance_id: '0',
  gauge: { metrics: { cpu: { unit: '%', value: 1 } } },
});
const envelope = (timestamp: bigint): Envelope => ({
  timestamp,
  sourceId: 'app',
  instanceId: '0',
  tags: {},
  gauge: { cpu: { unit: '%', value: 1 } },
});

// ---
const operator = suite('parseEnvelopes');

operator('passes readable envelopes and drops bad ones after reporting them', () => {
  const reports: [string, unknown][] = [];
  marbles(({ hot, expectObservable }) => {
    const raw$ = hot('  -a-x-b-y-|', { a: wire('1'), x: { source_id: 'app' }, b: wire('2'), y: null });
    expectObservable(raw$.pipe(parseEnvelopes((reason, raw) => reports.push([reason, raw])))).toBe(
      '           -a---b---|',
      { a: envelope(1n), b: envelope(2n) },
    );
  });
  assert.equal(reports, [
    ['timestamp is missing', { source_id: 'app' }],
    ['envelope is not a JSON object (got null)', null],
  ]);
});

operator('keeps the stream alive when the reporter throws', () => {
  marbles(({ cold, expectObservable }) => {
    const raw$ = cold('x-a|', { x: 1, a: wire('5') });
    expectObservable(
      raw$.pipe(
        parseEnvelopes(() => {
          throw new Error('reporter down');
        }),
      ),
    ).toBe('--a|', { a: envelope(5n) });
  });
});

operator('forwards a source error unchanged', () => {
  marbles(({ cold, expectObservable }) => {
    const error = new Error('socket closed');
    expectObservable(cold('a-#', { a: wire('1') }, error).pipe(parseEnvelopes(() => undefined))).toBe(
      'a-#',
      { a: envelope(1n) },
      error,
    );
  });
});

operator.run();

// ---
const counter = suite('createRejectionCounter');

counter('counts rejections by reason and in total', () => {
  const rejections = createRejectionCounter();
  for (const reason of ['timestamp is missing', 'source_id is empty', 'timestamp is missing'])
    rejections.record(reason);
  assert.equal(rejections.counts(), { 'timestamp is missing': 2, 'source_id is empty': 1 });
  assert.is(rejections.total(), 3);
});

counter('folds new reasons past the cap into one bucket', () => {
  const rejections = createRejectionCounter(2);
  for (const reason of ['a', 'b', 'c', 'a', 'd']) rejections.record(reason);
  assert.equal(rejections.counts(), { a: 2, b: 1, [OTHER_REASONS]: 2 });
  assert.is(rejections.total(), 5);
});

counter('works as the reporter of the operator', () => {
  const rejections = createRejectionCounter();
  marbles(({ cold, expectObservable }) => {
    expectObservable(
      cold('abc|', { a: 1, b: wire('3'), c: 'x' }).pipe(parseEnvelopes((reason) => rejections.record(reason))),
    ).toBe('-b-|', { b: envelope(3n) });
  });
  assert.equal(rejections.counts(), {
    'envelope is not a JSON object (got a number)': 1,
    'envelope is not a JSON object (got a string)': 1,
  });
});

counter.run();
