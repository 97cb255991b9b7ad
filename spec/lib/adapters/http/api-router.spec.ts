import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { NEVER, finalize, of, throwError } from 'rxjs';
import type { Observable } from 'rxjs';
import { createApiRouter } from '../../../../lib/adapters/http/api-router.ts';
import { silentLogger } from '../../../../lib/adapters/log/logger.ts';
import type { AppMetric, SortOrder } from '../../../../lib/core/model/app-metric.ts';
import { get, rawRequest, serve } from './test-server.ts';
import { setTimeout as sleep } from 'node:timers/promises';

type Call = readonly [string, string, bigint, bigint, SortOrder];
const PATH = '/v1/apps/an-app-id/aggregated_metric_histories/a-metric-type';

const setup = async (answer: () => Observable<AppMetric[]> = () => of([])) => {
  const calls: Call[] = [];
  const server = await serve(
    createApiRouter({
      logger: silentLogger(),
      queryAppMetrics: (appId, metricType, start, end, order) => {
        calls.push([appId, metricType, start, end, order]);
        return answer();
      },
    }),
  );
  return { ...server, calls };
};

const expectBadRequest = async (base: string, query: string, message: string) => {
  const res = await get(`${base}${PATH}${query}`);
  assert.is(res.status, 400, query);
  assert.is(res.headers.get('content-type'), 'application/json');
  const body = await res.text();
  assert.is(body, JSON.stringify({ code: 'Bad-Request', message }));
  assert.is(res.headers.get('content-length'), String(Buffer.byteLength(body)));
};

// ---
const history = suite('createApiRouter aggregated metric histories');

history('answers bad query parameters with 400 and the anchor message, without reading', async () => {
  const { base, close, calls } = await setup();
  try {
    await expectBadRequest(base, '?start=123&start=231', 'Incorrect start parameter in query string');
    await expectBadRequest(base, '?start=abc', 'Error parsing start time');
    await expectBadRequest(base, '?end=123&end=231', 'Incorrect end parameter in query string');
    await expectBadRequest(base, '?end=abc', 'Error parsing end time');
    await expectBadRequest(base, '?order=asc&order=asc', 'Incorrect order parameter in query string');
    await expectBadRequest(
      base,
      '?order=not-order-type',
      'Incorrect order parameter in query string, the value can only be ASC or DESC',
    );
    assert.equal(calls, []);
  } finally {
    await close();
  }
});

history('passes app id, metric type, start, end and order to the reader', async () => {
  const { base, close, calls } = await setup();
  try {
    for (const query of [
      '?start=123&end=567&order=desc',
      '?end=123&order=desc',
      '?start=123&order=desc',
      '?start=123&end=567',
      '?order=Desc',
      '?end=-5',
    ]) {
      assert.is((await get(`${base}${PATH}${query}`)).status, 200);
    }
    assert.equal(calls, [
      ['an-app-id', 'a-metric-type', 123n, 567n, 'DESC'],
      ['an-app-id', 'a-metric-type', 0n, 123n, 'DESC'],
      ['an-app-id', 'a-metric-type', 123n, -1n, 'DESC'],
      ['an-app-id', 'a-metric-type', 123n, 567n, 'ASC'],
      ['an-app-id', 'a-metric-type', 0n, -1n, 'DESC'],
      ['an-app-id', 'a-metric-type', 0n, -5n, 'ASC'],
    ]);
  } finally {
    await close();
  }
});

history("returns the reader's metrics as a JSON array in its order with int64 timestamps", async () => {
  const m2: AppMetric = {
    appId: 'an-app-id',
    name: 'a-metric-type',
    value: '87654321',
    unit: 'metric-unit',
    timestamp: 111111n,
  };
  const m1: AppMetric = {
    appId: 'an-app-id',
    name: 'a-metric-type',
    value: '12345678',
    unit: 'metric-unit',
    timestamp: 111100n,
  };
  const big: AppMetric = {
    appId: 'an-app-id',
    name: 'a-metric-type',
    value: '',
    unit: '',
    timestamp: 1700000000123456789n,
  };
  const { base, close } = await setup(() => of([m2, m1, big]));
  try {
    const res = await get(`${base}${PATH}?order=desc`);
    assert.is(res.status, 200);
    assert.is(res.headers.get('content-type'), 'application/json');
    assert.is(
      await res.text(),
      '[{"app_id":"an-app-id","name":"a-metric-type","value":"87654321","unit":"metric-unit","timestamp":111111},' +
        '{"app_id":"an-app-id","name":"a-metric-type","value":"12345678","unit":"metric-unit","timestamp":111100},' +
        '{"app_id":"an-app-id","name":"a-metric-type","value":"","unit":"","timestamp":1700000000123456789}]',
    );
  } finally {
    await close();
  }
});

history('answers a failing reader with 500', async () => {
  const { base, close } = await setup(() => throwError(() => new Error('db down')));
  try {
    const res = await get(`${base}${PATH}`);
    assert.is(res.status, 500);
    assert.is(res.headers.get('content-type'), 'application/json');
    assert.is(
      await res.text(),
      '{"code":"Internal-Server-Error","message":"Error getting aggregated metric histories"}',
    );
  } finally {
    await close();
  }
});

history('answers 500 when the reader throws instead of returning a stream', async () => {
  const { base, close } = await setup(() => {
    throw new Error('synchronous failure');
  });
  try {
    assert.is((await get(`${base}${PATH}`)).status, 500);
    assert.is((await get(`${base}/v1/liveness`)).status, 200);
  } finally {
    await close();
  }
});

history('returns [] for an empty result or a reader that completes without a value', async () => {
  let answer: Observable<AppMetric[]> = of([]);
  const { base, close } = await setup(() => answer);
  try {
    assert.is(await (await get(`${base}${PATH}`)).text(), '[]');
    answer = of();
    assert.is(await (await get(`${base}${PATH}`)).text(), '[]');
  } finally {
    await close();
  }
});

history('ignores page and results-per-page and returns the full array', async () => {
  const metrics = Array.from(
    { length: 25 },
    (_, i): AppMetric => ({ appId: 'a', name: 'm', value: String(i), unit: '', timestamp: BigInt(i) }),
  );
  const { base, close } = await setup(() => of(metrics));
  try {
    const body = JSON.parse(await (await get(`${base}${PATH}?page=2&results-per-page=10`)).text()) as unknown[];
    assert.is(body.length, 25);
  } finally {
    await close();
  }
});

history('stops reading when the client goes away', async () => {
  let finalized!: () => void;
  const torn = new Promise<void>((resolve) => (finalized = resolve));
  const { base, close } = await setup(() => NEVER.pipe(finalize(() => finalized())));
  try {
    const controller = new AbortController();
    const pending = fetch(`${base}${PATH}`, { signal: controller.signal }).catch(() => undefined);
    await sleep(50);
    controller.abort();
    await pending;
    const timedOut = await Promise.race([
      torn.then(() => false),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(true), 2000)),
    ]);
    assert.is(timedOut, false);
  } finally {
    await close();
  }
});

// ---
const routing = suite('createApiRouter routing');

routing('serves liveness with 200 and an empty body', async () => {
  const { base, close } = await setup();
  try {
    const res = await get(`${base}/v1/liveness`);
    assert.is(res.status, 200);
    assert.is(await res.text(), '');
  } finally {
    await close();
  }
});

routing('answers unknown paths with the text 404', async () => {
  const { base, close } = await setup();
  try {
    for (const path of ['/not-exist-path', '/v1/liveness/', '/v1/apps/a/aggregated_metric_histories', `${PATH}/`]) {
      const res = await get(`${base}${path}`);
      assert.is(res.status, 404, path);
      assert.is(res.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.is(await res.text(), '404 page not found\n');
    }
  } finally {
    await close();
  }
});

routing('answers another method on a known path with an empty 405', async () => {
  const { base, close, calls } = await setup();
  try {
    for (const [method, path] of [
      ['POST', PATH],
      ['HEAD', PATH],
      ['DELETE', '/v1/liveness'],
      ['HEAD', '/v1/liveness'],
    ] as const) {
      const res = await rawRequest(Number(new URL(base).port), method, path);
      assert.is(res.status, 405, `${method} ${path}`);
      assert.is(res.body, '');
    }
    assert.equal(calls, []);
  } finally {
    await close();
  }
});

routing('redirects non-canonical paths to the cleaned path, keeping the query', async () => {
  const { port, close, calls } = await setup();
  try {
    const cases = [
      ['//v1/liveness', '/v1/liveness'],
      ['/v1//liveness', '/v1/liveness'],
      ['/v1/./liveness', '/v1/liveness'],
      ['/v1/x/../liveness', '/v1/liveness'],
      [`/v1/apps/an-app-id//aggregated_metric_histories/a-metric-type?order=desc`, `${PATH}?order=desc`],
      ['/nope//', '/nope/'],
    ] as const;
    for (const [target, location] of cases) {
      const res = await rawRequest(port, 'GET', target);
      assert.is(res.status, 301, target);
      assert.is(res.headers.location, location);
    }
    assert.equal(calls, []);
  } finally {
    await close();
  }
});

routing('decodes path variables', async () => {
  const { base, close, calls } = await setup();
  try {
    await get(`${base}/v1/apps/app%20one/aggregated_metric_histories/custom_metric`);
    assert.equal(calls, [['app one', 'custom_metric', 0n, -1n, 'ASC']]);
  } finally {
    await close();
  }
});

history.run();
routing.run();
