import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  count,
  duration,
  formatTable,
  mib,
  parseBenchOutput,
  ratio,
  renderBench,
  verdict,
} from '../../../scripts/bench/table.ts';

const test = suite('bench table');

test('columns are padded to the widest cell, numbers right-aligned and text left-aligned', () => {
  const text = formatTable(
    ['stage', 'time', 'target'],
    [
      ['bare', '3.40 ms', ''],
      ['whole pipeline', '1,052.0 ms', 'MISS'],
    ],
  );
  assert.equal(text.split('\n'), [
    'stage           time        target',
    '--------------  ----------  ------',
    'bare               3.40 ms',
    'whole pipeline  1,052.0 ms  MISS',
  ]);
});

test('a rendered bench reads back with its title, target and verdict', () => {
  const text = renderBench({
    title: 'Example',
    notes: ['100 apps'],
    columns: ['a', 'b'],
    rows: [['x', '2.00x']],
    target: { text: 'b >= 1x', pass: false },
  });
  const [bench, ...rest] = parseBenchOutput(
    `noise before\n${text}\n${renderBench({ title: 'Other', notes: [], columns: ['c'], rows: [], target: { text: 't', pass: true } })}`,
  );
  assert.is(bench?.title, 'Example');
  assert.is(bench?.target, 'b >= 1x');
  assert.is(bench?.verdict, 'MISS');
  assert.ok(bench?.text.includes('   100 apps'));
  assert.ok(bench?.text.endsWith('target: b >= 1x: MISS'));
  assert.is(rest[0]?.verdict, 'PASS');
});

test('a block without a target line is not taken for a result', () => {
  assert.equal(parseBenchOutput('== Broken ==\n\na  b\n'), []);
});

test('figures carry their units', () => {
  assert.is(count(1234567.4), '1,234,567');
  assert.is(ratio(0.5), '0.50x');
  assert.is(mib(1.5 * 1048576), '1.5 MiB');
  assert.is(duration(2.5), '2.50 ms');
  assert.is(duration(59_400), '59.4 s');
  assert.is(verdict(true), 'PASS');
});

test.run();
