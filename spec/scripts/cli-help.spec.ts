import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
const scripts = [
  'start',
  'migrate',
  'generate-samples',
  'replay',
  'record',
  'tail',
  'test',
  'bench/run-all',
  'bench/envelope-throughput',
  'bench/apps-per-instance',
  'bench/decision-latency',
  'bench/persistence',
  'bench/memory',
  'bench/replay',
];
const run = (script: string, args: readonly string[]) =>
  spawnSync(process.execPath, [join(root, 'scripts', `${script}.ts`), ...args], {
    cwd: root,
    encoding: 'utf8',
    timeout: 30_000,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
  });

const help = suite('every script answers --help and refuses an unknown option');

for (const script of scripts) {
  help(`${script}: --help prints its usage and exits 0; --no-such-option prints it and exits 2`, () => {
    const asked = run(script, ['--help']);
    assert.is(asked.status, 0, asked.stderr);
    assert.match(asked.stdout, new RegExp(`^Usage: node scripts/${script}\\.ts`));
    assert.is.not(asked.stderr.includes('    at '), true, 'no stack trace');

    const wrong = run(script, ['--no-such-option']);
    assert.is(wrong.status, 2, wrong.stderr);
    assert.match(wrong.stderr, /Unknown option '--no-such-option'/);
    assert.match(wrong.stderr, /Usage: node scripts\//);
    assert.not.match(wrong.stderr, /\n\s+at /, 'no stack trace');
    assert.is(wrong.stdout, '');
  });
}

help('-h is --help', () => {
  const asked = run('record', ['-h']);
  assert.is(asked.status, 0);
  assert.match(asked.stdout, /^Usage: node scripts\/record\.ts/);
});

help.run();
