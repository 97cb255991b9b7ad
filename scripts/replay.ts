/**
 * The replay CLI (scripts/replay/replay-cli.ts; see REPLAY_USAGE, or run without arguments),
 * started in a Node process of its own with a young generation of 2 x 8 MiB. The replay's main
 * thread holds a day of app metrics while it makes short-lived garbage fast; V8 grew its young
 * generation to 2 x 64 MiB for it, which cost about 100 MiB of resident memory and a tenth more
 * CPU in a replay of 24 h for 100 apps (2 x 16 MiB, with the aggregation thread's 32 MiB, still
 * peaked at 530 MiB there; 2 x 8 MiB and 16 MiB at 396 MiB, for no more CPU). That size can only be set when Node starts, hence this
 * second process, unless the flag is given already (or an inspector). Arguments, input and output,
 * the exit code and a signal that ends the replay pass through unchanged. The second process keeps
 * Node's compile cache (its type-stripped and compiled modules, in Node's default place under the
 * temporary directory, unless NODE_COMPILE_CACHE names another): stripping and compiling the
 * replay's modules again took about a fifth of a second of every start, on both of its threads.
 */
import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const YOUNG_GENERATION = '--max-semi-space-size=8';
const CLI = fileURLToPath(new URL('./replay/replay-cli.ts', import.meta.url));

// Given the flag already, or debugged (a second process would contend for the inspector's port): run here.
if (process.execArgv.some((flag) => flag.startsWith('--max-semi-space-size') || flag.startsWith('--inspect'))) {
  await import('./replay/replay-cli.ts');
} else {
  const child = spawn(process.execPath, [YOUNG_GENERATION, ...process.execArgv, CLI, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: {
      NODE_COMPILE_CACHE: join(tmpdir(), 'node-compile-cache'),
      ...process.env,
      EG_REPLAY_LAUNCHED_AT: String(performance.timeOrigin),
    },
  });
  // A terminal's Ctrl-C reaches both processes; the replay decides how it ends, and this one follows.
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, forward);
  child.on('error', (err) => {
    process.stderr.write(`replay: cannot start: ${err.message}\n`);
    process.exit(1);
  });
  child.on('exit', (code, signal) => {
    if (signal) {
      for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.off(name, forward);
      process.kill(process.pid, signal);
    } else process.exit(code ?? 1);
  });
}
