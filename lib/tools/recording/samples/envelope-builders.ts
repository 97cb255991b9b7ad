import type { Envelope, GaugeValue } from '../../../core/model/envelope.ts';
import type { Prng } from './prng.ts';

export const MIB = 1048576;
const NS = 1_000_000_000n;

export interface AppIdentity {
  readonly appId: string;
  readonly appName: string;
  readonly instanceGuids: readonly string[];
}

/** Whole nanoseconds from seconds since the sample start (microsecond precision, as syslog delivers). */
export const at = (start: bigint, seconds: number, precision: 'us' | 'ns' = 'us'): bigint => {
  const ns = start + BigInt(Math.floor(seconds)) * NS + BigInt(Math.round((seconds % 1) * 1e9));
  return precision === 'us' ? (ns / 1000n) * 1000n : ns;
};

const repTags = (app: AppIdentity, instance: number): Record<string, string> => ({
  app_id: app.appId,
  app_name: app.appName,
  instance_id: String(instance),
  origin: 'rep',
  process_instance_id: app.instanceGuids[instance] ?? '',
  process_type: 'web',
  source_id: app.appId,
});

export interface ContainerReading {
  readonly cpu: number;
  readonly memory: number;
  readonly memoryQuota: number;
  readonly disk: number;
  readonly diskQuota: number;
  readonly cpuEntitlement: number;
  readonly ageNs: number;
}

/**
 * One rep emission for one instance (docs/anchor-compatibility.md#wire-envelope): group A (cpu,
 * memory, disk and quotas) and group B (entitlement, age) a few microseconds apart. `split` is the
 * log-cache shape, one metric per envelope; `combined` keeps each group in one envelope, as the RLP
 * stream does.
 */
export const containerEnvelopes = (
  app: AppIdentity,
  instance: number,
  timestamp: bigint,
  reading: ContainerReading,
  shape: 'split' | 'combined',
  rng: Prng,
): Envelope[] => {
  const tags = repTags(app, instance);
  const groupA: Record<string, GaugeValue> = {
    cpu: { unit: 'percentage', value: Math.round(reading.cpu * 10000) / 10000 },
    disk: { unit: 'bytes', value: Math.round(reading.disk) },
    disk_quota: { unit: 'bytes', value: reading.diskQuota },
    memory: { unit: 'bytes', value: Math.round(reading.memory) },
    memory_quota: { unit: 'bytes', value: reading.memoryQuota },
  };
  const groupB: Record<string, GaugeValue> = {
    absolute_entitlement: { unit: 'nanoseconds', value: Math.round(reading.ageNs * 0.25) },
    absolute_usage: { unit: 'nanoseconds', value: Math.round((reading.ageNs * 0.25 * reading.cpuEntitlement) / 100) },
    container_age: { unit: 'nanoseconds', value: reading.ageNs },
    cpu_entitlement: { unit: 'percentage', value: Math.round(reading.cpuEntitlement * 10000) / 10000 },
  };
  const base = { sourceId: app.appId, instanceId: String(instance), tags };
  const stampB = timestamp + BigInt(rng.int(3, 40)) * 1000n;
  if (shape === 'combined')
    return [
      { ...base, timestamp, gauge: groupA },
      { ...base, timestamp: stampB, gauge: groupB },
    ];
  const one = (stamp: bigint, group: Record<string, GaugeValue>) =>
    Object.entries(group).map(([name, value]): Envelope => ({ ...base, timestamp: stamp, gauge: { [name]: value } }));
  return [...one(timestamp, groupA), ...one(stampB, groupB)];
};

export interface HttpRequest {
  /** When gorouter finished the backend leg. */
  readonly stop: bigint;
  readonly durationMs: number;
  readonly status: number;
  readonly method: string;
  readonly path: string;
}

/**
 * The two gorouter timers of one request (docs/anchor-compatibility.md#wire-envelope): the Client
 * leg (router to app) and the enclosing Server leg (client to router). Each envelope's timestamp is
 * just after its stop.
 */
export const httpTimerEnvelopes = (app: AppIdentity, instance: number, request: HttpRequest, rng: Prng): Envelope[] => {
  const durationNs = BigInt(Math.round(request.durationMs * 1e6));
  const clientStart = request.stop - durationNs;
  const serverStart = clientStart - BigInt(rng.int(200, 900)) * 1000n - BigInt(rng.int(0, 999));
  const serverStop = request.stop + BigInt(rng.int(100, 400)) * 1000n + BigInt(rng.int(0, 999));
  const tags = (peer: string): Record<string, string> => ({
    app_id: app.appId,
    app_name: app.appName,
    instance_id: String(instance),
    method: request.method,
    origin: 'gorouter',
    peer_type: peer,
    process_type: 'web',
    status_code: String(request.status),
    uri: `https://${app.appName}.apps.example.com${request.path}`,
  });
  const base = { sourceId: app.appId, instanceId: String(instance) };
  return [
    {
      ...base,
      timestamp: ((request.stop + 30_000n) / 1000n) * 1000n,
      tags: tags('Client'),
      timer: { name: 'http', start: clientStart, stop: request.stop },
    },
    {
      ...base,
      timestamp: ((serverStop + 30_000n) / 1000n) * 1000n,
      tags: tags('Server'),
      timer: { name: 'http', start: serverStart, stop: serverStop },
    },
  ];
};

/**
 * A metricsforwarder gauge (docs/anchor-compatibility.md#wire-envelope): one metric, tagged by the
 * agent.
 */
export const customMetricEnvelope = (
  app: AppIdentity,
  instance: number,
  timestamp: bigint,
  name: string,
  unit: string,
  value: number,
): Envelope => ({
  timestamp,
  sourceId: app.appId,
  instanceId: String(instance),
  tags: { origin: 'autoscaler_metrics_forwarder' },
  gauge: { [name]: { unit, value } },
});
