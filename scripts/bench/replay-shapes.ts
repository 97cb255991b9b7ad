/**
 * The recordings of the replay benchmark, in both shapes: container gauges of many apps (see synthetic-apps.ts),
 * in log-cache's split shape (one metric per envelope) or the combined shape, written with zstd.
 * Lines are built from a template, byte for byte what encodeEnvelopeLine writes (a spec checks), since
 * a day of 100 apps is millions of lines.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { rename, stat } from 'node:fs/promises';
import { constants, createZstdCompress } from 'node:zlib';
import type { Envelope } from '../../lib/core/model/envelope.ts';
import { INSTANCES, PERIOD_SECS } from './replay-recording.ts';
import { appEnvelopes, benchApp, BENCH_START_NS, NS_PER_SECOND } from './synthetic-apps.ts';

export type BenchShape = 'split' | 'combined';

const byName = <T>(record: Readonly<Record<string, T>>): [string, T][] =>
  Object.keys(record)
    .sort()
    .map((k) => [k, record[k] as T]);

/** The tags of an envelope as a recording writes them: keys sorted. */
export const tagsJson = (tags: Readonly<Record<string, string>>): string =>
  JSON.stringify(Object.fromEntries(byName(tags)));

/** One recording line of a gauge envelope, given its tags as tagsJson writes them. */
export const benchLine = (envelope: Envelope, tagsText: string): string => {
  let metrics = '';
  for (const [name, gauge] of byName(envelope.gauge ?? {}))
    metrics += `${metrics === '' ? '' : ','}${JSON.stringify(name)}:{"unit":${JSON.stringify(gauge.unit)},"value":${JSON.stringify(gauge.value)}}`;
  return `{"timestamp":"${envelope.timestamp}","source_id":${JSON.stringify(envelope.sourceId)},"instance_id":${JSON.stringify(envelope.instanceId)},"deprecated_tags":{},"tags":${tagsText},"gauge":{"metrics":{${metrics}}}}`;
};

export interface BenchRecording {
  readonly path: string;
  readonly lines: number;
  readonly bytes: number;
}

/**
 * Writes `apps` x INSTANCES instances emitting every PERIOD_SECS for `hours`, in time order, unless
 * the file is already there (it is named by its parameters, so a rerun reuses it).
 */
export const ensureBenchRecording = async (
  path: string,
  options: { apps: number; hours: number; shape: BenchShape },
): Promise<BenchRecording> => {
  const periods = (options.hours * 3600) / PERIOD_SECS;
  const perEmission = options.shape === 'split' ? 9 : 2;
  const lines = periods * options.apps * INSTANCES * perEmission;
  const existing = await stat(path).catch(() => undefined);
  if (existing) return { path, lines, bytes: existing.size };

  const temporary = `${path}.${process.pid}.tmp`;
  const zip = createZstdCompress({ params: { [constants.ZSTD_c_compressionLevel]: 3 } });
  const out = createWriteStream(temporary);
  zip.pipe(out);
  const apps = Array.from({ length: options.apps }, (_v, i) => benchApp(i, INSTANCES));
  const tagsTexts = new Map<string, string>();
  const periodNs = BigInt(PERIOD_SECS) * NS_PER_SECOND;
  let written = 0;
  for (let p = 0; p < periods; p++) {
    const from = BENCH_START_NS + BigInt(p) * periodNs;
    const envelopes = apps
      .flatMap((app) => appEnvelopes(app, from, from + periodNs, PERIOD_SECS, options.shape))
      .sort((a, b) => (a.timestamp < b.timestamp ? -1 : a.timestamp > b.timestamp ? 1 : 0));
    let chunk = '';
    for (const envelope of envelopes) {
      const key = `${envelope.sourceId}/${envelope.instanceId}`;
      let tags = tagsTexts.get(key);
      if (tags === undefined) tagsTexts.set(key, (tags = tagsJson(envelope.tags)));
      chunk += `${benchLine(envelope, tags)}\n`;
      written += 1;
    }
    if (!zip.write(chunk)) await once(zip, 'drain');
  }
  zip.end();
  await once(out, 'finish');
  if (written !== lines) throw new Error(`the bench recording has ${written} lines, expected ${lines}`);
  await rename(temporary, path);
  return { path, lines, bytes: (await stat(path)).size };
};
