import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';

const script = join(import.meta.dirname, '..', '..', 'scripts', 'explain.ts');
const run = (...args: string[]) =>
  spawnSync(process.execPath, [script, ...args], { encoding: 'utf8', timeout: 20_000 });

const test = suite('scripts/explain.ts options');

test('--help prints the usage and exits 0', () => {
  const r = run('--help');
  assert.is(r.status, 0);
  assert.match(r.stdout, /^Usage: node scripts\/explain\.ts <app-guid> \[--url http:\/\/host:port\] \[--since 1h\]/);
});

test('an unknown option prints the usage and exits 2', () => {
  const r = run('some-app', '--bogus');
  assert.is(r.status, 2);
  assert.match(r.stderr, "Unknown option '--bogus'");
  assert.match(r.stderr, 'Usage: node scripts/explain.ts');
});

test('a missing app guid, a bad --since or a bad --url exit 2 naming the problem', () => {
  assert.match(run().stderr, 'the app guid is missing');
  const since = run('app', '--since', 'soon');
  assert.is(since.status, 2);
  assert.match(since.stderr, '--since');
  const url = run('app', '--url', 'ftp://x');
  assert.is(url.status, 2);
  assert.match(url.stderr, '--url must be http:// or https://');
});

test('a service that cannot be reached exits 1 saying so', () => {
  const r = run('app', '--url', 'http://127.0.0.1:9');
  assert.is(r.status, 1);
  assert.match(r.stderr, 'could not reach http://127.0.0.1:9');
});

test.run();
