import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CONTAINER_GAUGE_NAMES,
  combinedNameFilter,
  isContainerMetric,
  isPromQlMetric,
  METRIC_UNITS,
  nameFilterFor,
  unitFor,
} from '../../../../lib/core/metrics/metric-types.ts';

// log-cache matches name_filter unanchored (RE2 MatchString); JS RegExp#test agrees for these patterns.
const matches = (filter: string, name: string): boolean => new RegExp(filter).test(name);

// ---
const types = suite('metric types');

types('knows the unit of every built-in type and none for custom ones', () => {
  assert.equal(METRIC_UNITS, {
    memoryused: 'MB',
    memoryutil: '%',
    cpu: '%',
    cpuutil: '%',
    disk: 'MB',
    diskutil: '%',
    throughput: 'rps',
    responsetime: 'ms',
  });
  assert.is(unitFor('queue_length'), '');
  assert.is(unitFor('toString'), '');
});

types('reads throughput and responsetime through PromQL and nothing else', () => {
  assert.ok(isPromQlMetric('throughput') && isPromQlMetric('responsetime'));
  for (const type of ['memoryused', 'cpu', 'queue_length', 'Throughput']) assert.not.ok(isPromQlMetric(type), type);
});

types('lists the six container gauge names', () => {
  assert.equal([...CONTAINER_GAUGE_NAMES].sort(), [
    'cpu',
    'cpu_entitlement',
    'disk',
    'disk_quota',
    'memory',
    'memory_quota',
  ]);
  assert.ok(isContainerMetric('diskutil'));
  assert.not.ok(isContainerMetric('container_age'));
});

types.run();

// ---
const single = suite('nameFilterFor');

single('uses memory|memory_quota for memoryutil', () => {
  assert.is(nameFilterFor('memoryutil'), 'memory|memory_quota');
});

single('uses the table filters and a custom name verbatim', () => {
  const filters = ['memoryused', 'cpu', 'cpuutil', 'disk', 'diskutil', 'a-custom-metric'].map(nameFilterFor);
  assert.equal(filters, ['memory', 'cpu', 'cpu_entitlement', 'disk', 'disk|disk_quota', 'a-custom-metric']);
});

single('pulls in longer names as an unanchored regex does', () => {
  assert.ok(matches(nameFilterFor('memoryused'), 'memory_quota'));
  assert.ok(matches(nameFilterFor('queue'), 'queue_length'));
});

single.run();

// ---
const combined = suite('combinedNameFilter');

combined('joins the gauges of every REST type once, in first-seen order', () => {
  assert.is(combinedNameFilter(['memoryused', 'cpu', 'diskutil']), 'memory|cpu|disk|disk_quota');
  assert.is(
    combinedNameFilter(['memoryutil', 'memoryused', 'diskutil', 'disk']),
    'memory|memory_quota|disk|disk_quota',
  );
  assert.is(
    combinedNameFilter(['cpuutil', 'queue_length', 'throughput', 'a-custom-metric']),
    'cpu_entitlement|queue_length|a-custom-metric',
  );
});

combined('is undefined when every type is read through PromQL, or there is none', () => {
  assert.is(combinedNameFilter(['throughput', 'responsetime']), undefined);
  assert.is(combinedNameFilter([]), undefined);
  assert.is(combinedNameFilter(['']), undefined);
});

combined('matches every gauge name that any of the single filters matches', () => {
  const types = ['memoryutil', 'cpu', 'disk', 'queue', 'latency_ms', 'a-custom-metric'];
  const filter = combinedNameFilter(types) ?? '';
  const names = [
    'memory',
    'memory_quota',
    'cpu',
    'cpu_entitlement',
    'disk',
    'disk_quota',
    'queue',
    'queue_length',
    'my_queue',
    'latency_ms',
    'a-custom-metric',
    'container_age',
    'log_rate',
  ];
  for (const name of names) {
    const wanted = types.some((type) => matches(nameFilterFor(type), name));
    assert.is(matches(filter, name), wanted, `${name} against ${filter}`);
  }
});

combined('escapes a custom name with regex syntax so it cannot break the other types', () => {
  const filter = combinedNameFilter(['cpu', 'jobs|total', 'weird(name', 'p99.9']) ?? '';
  assert.is(filter, 'cpu|jobs\\|total|weird\\(name|p99\\.9');
  assert.not.throws(() => new RegExp(filter));
  for (const name of ['cpu', 'jobs|total', 'weird(name', 'p99.9']) assert.ok(matches(filter, name), name);
  assert.not.ok(matches(filter, 'jobs'));
  assert.not.ok(matches(filter, 'p9909'));
});

combined.run();
