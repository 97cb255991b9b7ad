import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');
/**
 * Every script: each file in scripts/, and each bench that runs on its own (the others in
 * scripts/bench are modules or children forked by a bench). A new script is covered on arrival.
 */
const scripts = [
  ...readdirSync(join(root, 'scripts'))
    .filter((name) => name.endsWith('.ts'))
    .map((name) => name.slice(0, -3)),
  ...readdirSync(join(root, 'scripts', 'bench'))
    .filter((name) => name.endsWith('.ts'))
    .filter((name) =>
      /^(runBench\(|const \{ values \} = parseCli\()/m.test(readFileSync(join(root, 'scripts', 'bench', name), 'utf8')),
    )
    .map((name) => `bench/${name.slice(0, -3)}`),
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

help('covers the scripts and the benches that run on their own', () => {
  for (const name of [
    'start',
    'replay',
    'record',
    'tail',
    'migrate',
    'generate-samples',
    'test',
    'bench/run-all',
    'bench/memory',
  ])
    assert.ok(scripts.includes(name), name);
  assert.not.ok(scripts.includes('bench/table'), 'a module, not a script');
});

help('-h is --help', () => {
  const asked = run('record', ['-h']);
  assert.is(asked.status, 0);
  assert.match(asked.stdout, /^Usage: node scripts\/record\.ts/);
});

help.run();
