import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { of } from 'rxjs';
import { map } from 'rxjs/operators';
import { pollPolicies } from '../../pipelines/poll-policies.ts';
import type { PolicyPollEvent } from '../../pipelines/poll-policies.ts';
import type { PolicyRow } from '../../lib/core/model/policy.ts';
import { belongsToShard } from '../../lib/core/policy/shard.ts';
import { marbles } from '../support/marbles.ts';

const rule =
  '{"metric_type":"memoryused","breach_duration_secs":120,"threshold":300,"operator":">","cool_down_secs":300,"adjustment":"+1"}';
const row = (
  appId: string,
  text: string | null = `{"instance_min_count":1,"instance_max_count":5,"scaling_rules":[${rule}]}`,
): PolicyRow => ({ appId, policyJson: text });
const apps = (...ids: number[]) => ids.map((n) => row(`app-id-${n}`));
const everything = () => true;
const summary = (e: PolicyPollEvent) =>
  e.kind === 'policies' ? [...e.policies.keys()].sort().join(',') : `failed#${e.attempt}:${e.retryInMs}`;
const retry = { initialMs: 100, maxMs: 400 };

const poll = suite('pollPolicies');

poll("emits this instance's shard on every trigger (shard 0 of 3)", () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const reads = [apps(1, 2, 3, 4), apps(3, 4, 5, 6), apps(5, 6, 7, 8)];
    let n = 0;
    const trigger$ = hot('  a 59s b 59s c');
    const owns = (appId: string) => belongsToShard(appId, 0, 3);
    const out$ = pollPolicies(
      { trigger$, owns$: of(owns) },
      { scheduler, retry, retrievePolicies: () => cold('-r|', { r: reads[n++]! }) },
    );
    expectObservable(out$.pipe(map(summary))).toBe('- x 59s y 59s z', {
      x: 'app-id-3,app-id-4',
      y: 'app-id-3,app-id-4',
      z: 'app-id-8',
    });
  }),
);

poll('keeps a bad policy out without losing the others and reports why', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const rows = [row('good'), row('bad', '{"scaling_rules":[{"threshold":"30"}]}'), row('nul', null)];
    const out$ = pollPolicies(
      { trigger$: hot('a'), owns$: of(everything) },
      { scheduler, retry, retrievePolicies: () => cold('r|', { r: rows }) },
    );
    expectObservable(
      out$.pipe(
        map((e) =>
          e.kind === 'policies'
            ? `${summary(e)}|${e.rejected
                .map((r) => r.appId)
                .sort()
                .join(',')}`
            : 'failed',
        ),
      ),
    ).toBe('x', { x: 'good|bad,nul' });
  }),
);

poll('backs off and retries a failed read while the last good set stays in force (no tight loop)', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    const failed = () => cold<PolicyRow[]>('#', undefined, new Error('db down'));
    const outcomes = [cold('r|', { r: apps(1) }), failed(), failed(), cold('r|', { r: apps(2) })];
    let n = 0;
    const trigger$ = hot('  a 999ms b');
    const out$ = pollPolicies(
      { trigger$, owns$: of(everything) },
      { scheduler, retry, retrievePolicies: () => outcomes[n++]! },
    );
    // t=0 good read; t=1000 fails (retry in 100ms), t=1100 fails (retry in 200ms), t=1300 succeeds.
    expectObservable(out$.pipe(map(summary))).toBe('x 999ms f 99ms g 199ms y', {
      x: 'app-id-1',
      f: 'failed#1:100',
      g: 'failed#2:200',
      y: 'app-id-2',
    });
  }),
);

poll('ignores triggers while a read is under way', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    let reads = 0;
    const trigger$ = hot('  ab--c');
    const out$ = pollPolicies(
      { trigger$, owns$: of(everything) },
      {
        scheduler,
        retry,
        retrievePolicies: () => {
          reads++;
          return cold('--r|', { r: apps(1) });
        },
      },
    );
    expectObservable(out$.pipe(map(summary))).toBe('--x---x', { x: 'app-id-1' });
    scheduler.flush();
    assert.is(reads, 2);
  }),
);

poll('re-filters the last rows when ownership changes, without reading again', () =>
  marbles(({ hot, cold, expectObservable, scheduler }) => {
    let reads = 0;
    const owns$ = hot('  a--b', { a: (id: string) => id === 'app-id-1', b: (id: string) => id !== 'app-id-1' });
    const out$ = pollPolicies(
      { trigger$: hot('a'), owns$ },
      {
        scheduler,
        retry,
        retrievePolicies: () => {
          reads++;
          return cold('r|', { r: apps(1, 2) });
        },
      },
    );
    expectObservable(out$.pipe(map(summary))).toBe('x--y', { x: 'app-id-1', y: 'app-id-2' });
    scheduler.flush();
    assert.is(reads, 1);
  }),
);

poll('stops reading once unsubscribed', () =>
  marbles(({ hot, cold, expectObservable, expectSubscriptions, scheduler }) => {
    const read = cold('---r|', { r: apps(1) });
    const out$ = pollPolicies(
      { trigger$: hot('a'), owns$: of(everything) },
      { scheduler, retry, retrievePolicies: () => read },
    );
    expectObservable(out$.pipe(map(summary)), '--!').toBe('');
    expectSubscriptions(read.subscriptions).toBe('^-!');
  }),
);

poll.run();
