/**
 * The recording the replay benchmarks share: 100 apps x 2 instances of container gauges every 30 s
 * in the combined (RLP) shape, written in time order, and the policy they are replayed under.
 */
import { encodeEnvelopeLine } from '../../lib/core/envelope/envelope-json.ts';
import type { RecordingCompression } from '../../lib/tools/recording/read-recording-lines.ts';
import { createRecordingWriter } from '../../lib/tools/recording/write-recording.ts';
import { appEnvelopes, benchApp, BENCH_START_NS, NS_PER_SECOND } from './synthetic-apps.ts';

export const PERIOD_SECS = 30;
export const INSTANCES = 2;

export const BENCH_POLICY = JSON.stringify({
  instance_min_count: 2,
  instance_max_count: 8,
  scaling_rules: [
    {
      metric_type: 'cpu',
      breach_duration_secs: 120,
      threshold: 30,
      operator: '>',
      cool_down_secs: 300,
      adjustment: '+1',
    },
    {
      metric_type: 'cpu',
      breach_duration_secs: 300,
      threshold: 12,
      operator: '<',
      cool_down_secs: 300,
      adjustment: '-1',
    },
    {
      metric_type: 'memoryutil',
      breach_duration_secs: 120,
      threshold: 90,
      operator: '>=',
      cool_down_secs: 300,
      adjustment: '+1',
    },
  ],
});

/** Writes the recording in time order, one emission period of every app at a time. */
export const writeBenchRecording = async (
  path: string,
  apps: number,
  hours: number,
  compression: RecordingCompression,
): Promise<number> => {
  const writer = await createRecordingWriter(path, { compression, level: 1 });
  const benchApps = Array.from({ length: apps }, (_v, i) => benchApp(i, INSTANCES));
  const periodNs = BigInt(PERIOD_SECS) * NS_PER_SECOND;
  const periods = (hours * 3600) / PERIOD_SECS;
  try {
    for (let p = 0; p < periods; p++) {
      const from = BENCH_START_NS + BigInt(p) * periodNs;
      const envelopes = benchApps
        .flatMap((app) => appEnvelopes(app, from, from + periodNs, PERIOD_SECS, 'combined'))
        .sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
      for (const envelope of envelopes) await writer.write(encodeEnvelopeLine(envelope));
    }
    await writer.close();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  return writer.lines();
};
