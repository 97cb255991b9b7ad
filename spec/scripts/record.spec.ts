import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..', '..');

/** A port nobody listens on: bound, then closed. */
const closedPort = async (): Promise<number> => {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
};

/** Accepts connections and never answers: the peer that makes a client wait longest. */
const silentServer = async (): Promise<{ url: string; server: Server }> => {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, server };
};

const record = (args: readonly string[]) =>
  new Promise<{ code: number | null; stderr: string; stdout: string; ms: number }>((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, [join(root, 'scripts', 'record.ts'), ...args], {
      cwd: root,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', LOG_FORMAT: 'json' },
    });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code) => {
      clearTimeout(killer);
      resolve({ code, stderr, stdout, ms: Date.now() - started });
    });
  });

const cli = suite('scripts/record.ts with peers that stay away');
const dirs: string[] = [];
cli.after(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});
const outDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), 'eg-record-'));
  dirs.push(dir);
  return dir;
};

cli('UAA refusing connections: one clear line, exit 1, no file', async () => {
  const dir = await outDir();
  const uaa = `http://127.0.0.1:${await closedPort()}`;
  const logcache = `http://127.0.0.1:${await closedPort()}`;
  const result = await record([
    ...['--out', join(dir, 'rec.ndjson.gz'), '--logcache-url', logcache, '--uaa-url', uaa],
    ...['--client-id', 'c', '--client-secret', 's', '--app', 'a1', '--duration', '20s'],
    ...['--poll-interval', '200ms', '--lag', '0s'],
  ]);
  assert.is(result.code, 1, result.stderr);
  const last = result.stderr.trim().split('\n').at(-1) ?? '';
  assert.match(last, /^record failed: gave up after 3 poll\(s\) in a row without one successful read: /);
  assert.match(last, new RegExp(`connect ECONNREFUSED ${uaa.replace('http://', '').replace(/\./g, '\\.')}`));
  assert.not.match(result.stderr, /\n\s+at /, 'no stack trace');
  assert.ok(result.ms < 20_000, `gave up before the duration ended (${result.ms} ms)`);
  assert.equal(await readdir(dir), [], 'no file and no .partial');
});

cli('log-cache accepting but never answering: ends by its duration plus the grace, no file', async () => {
  const dir = await outDir();
  const peer = await silentServer();
  try {
    const result = await record([
      ...['--out', join(dir, 'rec.ndjson'), '--logcache-url', peer.url, '--app', 'a1', '--duration', '2s'],
      ...['--poll-interval', '500ms', '--lag', '1s', '--give-up-after', '100', '--since', '1m'],
    ]);
    // duration 2 s + lag 1 s + grace 10 s, and a little for Node to start
    assert.ok(result.ms < 16_000, `finished within its bound (${result.ms} ms)`);
    assert.is(result.code, 1, result.stderr);
    assert.match(result.stderr, /nothing written/);
    assert.equal(await readdir(dir), [], 'no file and no .partial');
  } finally {
    peer.server.closeAllConnections();
    peer.server.close();
  }
});

cli.run();
