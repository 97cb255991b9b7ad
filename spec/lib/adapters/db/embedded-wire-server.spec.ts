import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { connect } from 'node:net';
import postgres from 'postgres';
import { PGlite } from '@electric-sql/pglite';
import { startEmbeddedWireServer } from '../../../../lib/adapters/db/embedded-wire-server.ts';
import type { EmbeddedWireServer } from '../../../../lib/adapters/db/embedded-wire-server.ts';
import { setTimeout as sleep } from 'node:timers/promises';

interface Context {
  db: PGlite;
  server: EmbeddedWireServer;
  url: string;
}
const wire = suite<Context>('startEmbeddedWireServer');

wire.before(async (context) => {
  context.db = await PGlite.create('memory://');
  context.server = await startEmbeddedWireServer(context.db);
  context.url = `postgres://postgres@${context.server.host}:${context.server.port}/postgres`;
  await context.db.exec('CREATE TABLE t (n int)');
});
wire.after(async ({ server, db }) => {
  await server.close();
  await db.close();
});

const client = (url: string, max: number) =>
  postgres(url, { max, connect_timeout: 5, idle_timeout: 1, onnotice: () => {} });
const bounded = <T>(promise: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms)),
  ]);

wire(
  'answers hundreds of concurrent parameterised queries from several connections, each with its own result',
  async ({ url }) => {
    const sql = client(url, 6);
    try {
      const results = await bounded(
        Promise.all(Array.from({ length: 300 }, (_, i) => sql`SELECT ${i}::int AS i, ${`v${i}`}::text AS v`)),
        10_000,
        'the queries',
      );
      results.forEach((rows, i) => {
        assert.equal([rows[0]?.i, rows[0]?.v], [i, `v${i}`]);
      });
    } finally {
      await sql.end();
    }
  },
);

wire('keeps a transaction whole while other connections query, and others never see it half done', async ({ url }) => {
  const sql = client(url, 4);
  try {
    const seen: number[] = [];
    await bounded(
      Promise.all([
        sql.begin(async (tx) => {
          await tx`INSERT INTO t VALUES (1)`;
          await sleep(50);
          await tx`INSERT INTO t VALUES (2)`;
        }),
        ...Array.from({ length: 10 }, async () => {
          const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM t`;
          seen.push(row!.n);
        }),
      ]),
      10_000,
      'the transaction and the queries',
    );
    assert.ok(
      seen.every((n) => n === 0 || n === 2),
      `counts seen: ${seen.join(',')}`,
    );
    const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM t`;
    assert.is(row!.n, 2);
  } finally {
    await sql.end();
  }
});

wire('rolls back the transaction of a client that disconnects inside it, and serves the others', async ({ url }) => {
  const quitter = client(url, 1);
  const other = client(url, 1);
  try {
    await quitter`BEGIN`.simple().catch(() => undefined);
    await quitter.unsafe('INSERT INTO t VALUES (99)');
    await quitter.end({ timeout: 0 });
    const [row] = await bounded(
      other<{ n: number }[]>`SELECT count(*)::int AS n FROM t WHERE n = 99`,
      5_000,
      'the other client',
    );
    assert.is(row!.n, 0);
  } finally {
    await other.end();
  }
});

wire('declines TLS with N, as a server without TLS does', async ({ server }) => {
  const reply = await bounded(
    new Promise<string>((resolve, reject) => {
      const socket = connect(server.port, server.host, () => {
        const request = Buffer.alloc(8);
        request.writeInt32BE(8, 0);
        request.writeInt32BE(80877103, 4);
        socket.write(request);
      });
      socket.once('data', (data) => {
        resolve(data.toString());
        socket.destroy();
      });
      socket.once('error', reject);
    }),
    5_000,
    'the SSL answer',
  );
  assert.is(reply, 'N');
});

wire.run();
