import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readAllPages } from '../../../../lib/adapters/logcache/read-all.ts';
import type { ReadOptions } from '../../../../lib/adapters/logcache/read-params.ts';
import type { EnvelopeRead } from '../../../../lib/core/model/envelope.ts';
import type { Envelope } from '../../../../lib/core/model/envelope.ts';

const env = (ts: bigint): Envelope => ({
  timestamp: ts,
  sourceId: 's',
  instanceId: '0',
  tags: {},
  gauge: { cpu: { unit: '%', value: Number(ts) } },
});

/** Answers from a list of pages; records the requested start times and limits. */
const pager = (pages: EnvelopeRead[]) => {
  const calls: Array<{ start: bigint; limit: number | undefined }> = [];
  const readPage = async (_id: string, o: ReadOptions): Promise<EnvelopeRead> => {
    calls.push({ start: o.startTime, limit: o.limit });
    return pages[calls.length - 1] ?? { envelopes: [], rejected: [] };
  };
  return { readPage, calls };
};

// ---
const readAll = suite('readAllPages');

readAll('asks for the next page from the last timestamp + 1 until a short page', async () => {
  const p = pager([
    { envelopes: [env(10n), env(11n)], rejected: [] },
    { envelopes: [env(12n), env(13n)], rejected: [] },
    { envelopes: [env(14n)], rejected: [] },
  ]);
  const result = await readAllPages(p.readPage, 's', { startTime: 10n, endTime: 100n, limit: 2 });
  assert.equal(
    result.envelopes.map((e) => e.timestamp),
    [10n, 11n, 12n, 13n, 14n],
  );
  assert.equal(p.calls, [
    { start: 10n, limit: 2 },
    { start: 12n, limit: 2 },
    { start: 14n, limit: 2 },
  ]);
});

readAll('numbers rejected envelopes across pages', async () => {
  const p = pager([
    { envelopes: [env(1n)], rejected: [{ index: 1, reason: 'bad' }] },
    { envelopes: [], rejected: [{ index: 0, reason: 'worse' }] },
  ]);
  const result = await readAllPages(p.readPage, 's', { startTime: 0n, endTime: 100n, limit: 2 });
  assert.equal(result.rejected, [
    { index: 1, reason: 'bad' },
    { index: 2, reason: 'worse' },
  ]);
});

readAll('reports, rather than loops on, a full page without a usable timestamp', async () => {
  const p = pager([
    {
      envelopes: [],
      rejected: [
        { index: 0, reason: 'a' },
        { index: 1, reason: 'b' },
      ],
    },
  ]);
  const result = await readAllPages(p.readPage, 's', { startTime: 5n, endTime: 100n, limit: 2 });
  assert.is(p.calls.length, 1);
  assert.match(result.rejected[2]?.reason ?? '', /paging stopped at start_time 5/);
});

readAll('defaults to pages of 1000 and caps larger limits there', async () => {
  const p = pager([]);
  await readAllPages(p.readPage, 's', { startTime: 0n, endTime: 1n });
  await readAllPages(p.readPage, 's', { startTime: 0n, endTime: 1n, limit: 5000 });
  assert.equal(
    p.calls.map((c) => c.limit),
    [1000, 1000],
  );
});

readAll('reads nothing for an empty window', async () => {
  const p = pager([]);
  const result = await readAllPages(p.readPage, 's', { startTime: 5n, endTime: 5n });
  assert.is(p.calls.length, 0);
  assert.equal(result, { envelopes: [], rejected: [] });
});

readAll.run();
