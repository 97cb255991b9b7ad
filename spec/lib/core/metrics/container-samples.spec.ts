import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  CONTAINER_GAUGES,
  CONTAINER_SAMPLES,
  containerSampleIndexOf,
  containerSampleUnit,
  containerSampleValue,
  containerSlotOf,
} from '../../../../lib/core/metrics/container-samples.ts';
import { CONTAINER_GAUGE_NAMES, METRIC_UNITS } from '../../../../lib/core/metrics/metric-types.ts';

const MiB = 1048576;
/** Every sample's value from named gauges, as `containerSampleValue` reads them. */
const samples = (gauges: Record<string, number>): (number | undefined)[] => {
  const values = new Float64Array(CONTAINER_GAUGES.length);
  let present = 0;
  for (const [name, value] of Object.entries(gauges)) {
    const slot = containerSlotOf(name);
    values[slot] = value;
    present |= 1 << slot;
  }
  return CONTAINER_SAMPLES.map((_name, index) => containerSampleValue(index, values, present));
};

const test = suite('container-samples');

test("knows exactly the container gauges, and the samples in the anchor's order with their units", () => {
  assert.equal([...CONTAINER_GAUGES].sort(), [...CONTAINER_GAUGE_NAMES].sort());
  assert.equal(CONTAINER_SAMPLES, ['memoryused', 'memoryutil', 'cpu', 'cpuutil', 'diskutil', 'disk']);
  assert.equal(
    CONTAINER_SAMPLES.map((_n, i) => containerSampleUnit(i)),
    CONTAINER_SAMPLES.map((n) => METRIC_UNITS[n]),
  );
  assert.is(containerSlotOf('container_age'), -1);
  assert.is(containerSampleIndexOf('queue'), -1);
  assert.is(containerSampleIndexOf('diskutil'), 4);
});

test('computes the samples of the worked example before the ceiling', () => {
  assert.equal(
    samples({
      cpu: 10.6,
      disk: 3 * MiB,
      disk_quota: 33 * MiB,
      memory: 10.2 * MiB,
      memory_quota: 20 * MiB,
      cpu_entitlement: 51,
    }),
    [10.2, ((10.2 * MiB) / (20 * MiB)) * 100, 10.6, 51, (3 / 33) * 100, 3],
  );
  assert.equal(
    samples({ memory_quota: 10 }),
    [undefined, 0, undefined, undefined, undefined, undefined],
    'a missing memory counts as 0',
  );
  assert.equal(
    samples({ memory: 50 * MiB, memory_quota: 0, disk: 1, disk_quota: 0 }),
    [50, undefined, undefined, undefined, undefined, 1 / MiB],
    'a zero quota gives no ratio',
  );
});

test.run();
