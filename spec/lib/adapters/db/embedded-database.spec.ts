import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import postgres from 'postgres';
import { startEmbeddedDatabase } from '../../../../lib/adapters/db/embedded-database.ts';
import { sleep, until } from '../../../support/until.ts';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const selectOne = async (url: string): Promise<number> => {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ one: number }[]>`SELECT 1 AS one`;
    return row!.one;
  } finally {
    await sql.end({ timeout: 1 });
  }
};

// ---
const embedded = suite('startEmbeddedDatabase');

embedded('serves PGlite from a process of its own, which stop ends', async () => {
  const db = await startEmbeddedDatabase();
  try {
    assert.is.not(db.pid, process.pid);
    assert.ok(alive(db.pid));
    assert.is(await selectOne(db.url), 1);
  } finally {
    await db.stop();
  }
  assert.not.ok(alive(db.pid), 'the process is gone after stop');
  await db.stop();
});

embedded('keeps serving through SIGTERM and SIGINT: the service stops it after its last flush', async () => {
  const db = await startEmbeddedDatabase();
  try {
    process.kill(db.pid, 'SIGTERM');
    process.kill(db.pid, 'SIGINT');
    await sleep(100);
    assert.is(await selectOne(db.url), 1);
  } finally {
    await db.stop();
  }
});

embedded('fails with the reason when its port is taken', async () => {
  const blocker = createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const { port } = blocker.address() as AddressInfo;
  try {
    await startEmbeddedDatabase({ port });
    assert.unreachable('should have failed');
  } catch (err) {
    assert.match((err as Error).message, /^embedded database: .*EADDRINUSE/);
  } finally {
    blocker.close();
  }
});

embedded('ends when the process that started it is killed', async () => {
  const entry = new URL('../../../../lib/adapters/db/embedded-database.ts', import.meta.url).href;
  const script = `const { startEmbeddedDatabase } = await import(${JSON.stringify(entry)}); const db = await startEmbeddedDatabase(); console.log(db.pid); setInterval(() => {}, 1000);`;
  const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const pid = await new Promise<number>((resolve, reject) => {
      parent.stdout.once('data', (data: Buffer) => resolve(Number(String(data).trim())));
      parent.once('exit', (code) => reject(new Error(`the parent exited first (${code})`)));
    });
    assert.ok(alive(pid));
    parent.kill('SIGKILL');
    await until('the database process to end', 10_000, () => (alive(pid) ? undefined : true), 50);
  } finally {
    parent.kill('SIGKILL');
  }
});

embedded.run();
