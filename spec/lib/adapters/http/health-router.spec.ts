import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { asapScheduler } from 'rxjs';
import type { SchedulerLike } from 'rxjs';
import { createHealthRouter } from '../../../../lib/adapters/http/health-router.ts';
import type { HealthRouterOptions, ReadinessCheck } from '../../../../lib/adapters/http/health-router.ts';
import { createMetricsRegistry } from '../../../../lib/adapters/http/metrics-registry.ts';
import { silentLogger } from '../../../../lib/adapters/log/logger.ts';
import { get, serve } from './test-server.ts';

const NO_AUTH = { username: '', password: '', username_hash: '', password_hash: '' };
const WITH_AUTH = { ...NO_AUTH, username: 'user', password: 'password' };
const PROMETHEUS = 'text/plain; version=0.0.4; charset=utf-8; escaping=underscores';
const basic = (user: string, pass: string) => ({
  authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`,
});

/** A clock the test moves by hand. */
const manualClock = () => {
  let now = 0;
  const scheduler: SchedulerLike = { now: () => now, schedule: asapScheduler.schedule.bind(asapScheduler) };
  return { scheduler, advance: (ms: number) => (now += ms) };
};

const setup = async (options: HealthRouterOptions, readinessChecks?: readonly ReadinessCheck[]) => {
  const clock = manualClock();
  const handler = createHealthRouter(options, {
    metrics: createMetricsRegistry(),
    scheduler: clock.scheduler,
    logger: silentLogger(),
    ...(readinessChecks ? { readinessChecks } : {}),
  });
  return { ...(await serve(handler)), clock };
};

const health = suite('createHealthRouter');

health('serves Prometheus text with the anchor metrics to correct credentials, 401 otherwise', async () => {
  const { base, close } = await setup({ basicAuth: WITH_AUTH, readinessEnabled: false });
  try {
    const ok = await get(`${base}/health`, { headers: basic('user', 'password') });
    assert.is(ok.status, 200);
    assert.is(ok.headers.get('content-type'), PROMETHEUS);
    const text = await ok.text();
    for (const part of ['_concurrent_http_request', '_policyDB', '_appMetricDB', 'process_resident_memory_bytes'])
      assert.ok(text.includes(part), part);
    for (const headers of [basic('wrongusername', 'wrongpassword'), {}]) {
      const denied = await get(`${base}/health`, { headers });
      assert.is(denied.status, 401);
      assert.is(denied.headers.get('content-type'), 'text/plain; charset=utf-8');
      assert.is(denied.headers.get('www-authenticate'), null);
      assert.is(await denied.text(), 'Unauthorized\n');
    }
  } finally {
    await close();
  }
});

health('serves Prometheus text on any path without auth configured', async () => {
  const { base, close } = await setup({ basicAuth: NO_AUTH, readinessEnabled: false });
  try {
    for (const path of ['/anything', '/health', '/']) {
      const res = await get(`${base}${path}`);
      assert.is(res.status, 200);
      assert.is(res.headers.get('content-type'), PROMETHEUS);
      assert.ok((await res.text()).includes('autoscaler_eventgenerator_concurrent_http_request'));
    }
  } finally {
    await close();
  }
});

health(
  'answers the platform health check on /health/liveness without credentials, auth configured or not',
  async () => {
    for (const basicAuth of [NO_AUTH, WITH_AUTH]) {
      const { base, close } = await setup({ basicAuth, readinessEnabled: false });
      try {
        const res = await get(`${base}/health/liveness`);
        assert.is(res.status, 200);
        assert.is(await res.text(), '{"status":"UP"}');
        assert.is(
          (await get(`${base}/health/livenessx`)).status,
          basicAuth === NO_AUTH ? 200 : 401,
          'only the exact path is exempt',
        );
      } finally {
        await close();
      }
    }
  },
);

health('answers readiness with UP JSON, never behind auth, when enabled', async () => {
  for (const basicAuth of [NO_AUTH, WITH_AUTH]) {
    const { base, close } = await setup({ basicAuth, readinessEnabled: true });
    try {
      const res = await get(`${base}/health/readiness`);
      assert.is(res.status, 200);
      assert.is(res.headers.get('content-type'), 'application/json');
      assert.is(await res.text(), '{"overall_status":"UP","checks":[]}');
    } finally {
      await close();
    }
  }
});

health('treats readiness as a metrics path when disabled', async () => {
  const withAuth = await setup({ basicAuth: WITH_AUTH, readinessEnabled: false });
  try {
    assert.is((await get(`${withAuth.base}/health/readiness`)).status, 401);
  } finally {
    await withAuth.close();
  }
  const open = await setup({ basicAuth: NO_AUTH, readinessEnabled: false });
  try {
    const res = await get(`${open.base}/health/readiness`);
    assert.is(res.status, 200);
    assert.is(res.headers.get('content-type'), PROMETHEUS);
  } finally {
    await open.close();
  }
});

health('has no pprof: /debug/pprof is metrics text, behind auth when configured', async () => {
  const open = await setup({ basicAuth: NO_AUTH, readinessEnabled: false });
  try {
    const res = await get(`${open.base}/debug/pprof`);
    assert.is(res.headers.get('content-type'), PROMETHEUS);
    assert.ok((await res.text()).includes('autoscaler_eventgenerator_'));
  } finally {
    await open.close();
  }
  const guarded = await setup({ basicAuth: WITH_AUTH, readinessEnabled: false });
  try {
    assert.is((await get(`${guarded.base}/debug/pprof/`)).status, 401);
    const res = await get(`${guarded.base}/debug/pprof/`, { headers: basic('user', 'password') });
    assert.is(res.status, 200);
    assert.is(res.headers.get('content-type'), PROMETHEUS);
  } finally {
    await guarded.close();
  }
});

health('reuses the readiness answer for 30 s of the injected clock', async () => {
  let calls = 0;
  let healthy = true;
  const check: ReadinessCheck = {
    name: 'policy_db',
    type: 'database',
    check: () => {
      calls++;
      return healthy;
    },
  };
  const { base, close, clock } = await setup({ basicAuth: NO_AUTH, readinessEnabled: true }, [check]);
  try {
    const first = await get(`${base}/health/readiness`);
    assert.is(
      await first.text(),
      '{"overall_status":"UP","checks":[{"name":"policy_db","type":"database","status":"UP"}]}',
    );
    healthy = false;
    clock.advance(29_999);
    assert.is((await get(`${base}/health/readiness`)).status, 200);
    assert.is(calls, 1);
    clock.advance(1);
    const recomputed = await get(`${base}/health/readiness`);
    assert.is(calls, 2);
    assert.is(recomputed.status, 503);
    assert.is(
      await recomputed.text(),
      '{"overall_status":"DOWN","checks":[{"name":"policy_db","type":"database","status":"DOWN"}]}',
    );
  } finally {
    await close();
  }
});

health('reports a throwing readiness check as DOWN', async () => {
  const check: ReadinessCheck = {
    name: 'x',
    type: 'database',
    check: () => {
      throw new Error('boom');
    },
  };
  const { base, close } = await setup({ basicAuth: NO_AUTH, readinessEnabled: true }, [check]);
  try {
    assert.is((await get(`${base}/health/readiness`)).status, 503);
  } finally {
    await close();
  }
});

health.run();
