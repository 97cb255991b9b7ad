import { fork } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import type { EmbeddedProcessReply, EmbeddedProcessRequest } from './embedded-process-messages.ts';

export interface EmbeddedDatabase {
  /** A postgres:// URL that any PostgreSQL client can use. */
  readonly url: string;
  readonly maxConnections: number;
  /** The database's own process. */
  readonly pid: number;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  /** A directory to keep data in; in memory when absent. */
  readonly dataDir?: string;
  /** Client connections each pool should open at most; the session is shared, so more buy nothing. */
  readonly maxConnections?: number;
  readonly port?: number;
}

const PROCESS_ENTRY = new URL('./embedded-database-process.ts', import.meta.url);
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 10_000;

const exited = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });

/** The first reply of the child, or an error naming why it never came. */
const firstReply = (child: ChildProcess): Promise<EmbeddedProcessReply> =>
  new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => fail(new Error(`embedded database: no answer within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
    const onMessage = (reply: EmbeddedProcessReply) => settle(() => resolve(reply));
    const onExit = (code: number | null, signal: string | null) =>
      fail(new Error(`embedded database: its process ended before it was ready (${signal ?? `exit code ${code}`})`));
    const onError = (err: Error) => fail(new Error(`embedded database: cannot start its process: ${err.message}`));
    const settle = (then: () => void) => {
      clearTimeout(timer);
      child.off('message', onMessage).off('exit', onExit).off('error', onError);
      then();
    };
    const fail = (err: Error) => settle(() => reject(err));
    child.on('message', onMessage).on('exit', onExit).on('error', onError);
  });

/**
 * Starts PGlite in a process of its own and serves it over the PostgreSQL wire protocol on
 * loopback, so the embedded default and a real server are reached by the same postgres.js code, and
 * the database's work runs beside the service instead of on its event loop.
 */
export const startEmbeddedDatabase = async (options: EmbeddedOptions = {}): Promise<EmbeddedDatabase> => {
  // No inherited flags (--inspect, --cpu-prof, --test…): they belong to the parent.
  const child = fork(PROCESS_ENTRY, [], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'json',
  });
  const request: EmbeddedProcessRequest = {
    kind: 'start',
    dataDir: options.dataDir,
    port: options.port,
  };
  child.send(request);
  const reply = await firstReply(child).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited(child);
    throw err;
  });
  if (reply.kind !== 'ready') {
    await exited(child);
    throw new Error(`embedded database: ${reply.kind === 'failed' ? reply.message : 'stopped before it was ready'}`);
  }
  // An unref'd child does not keep the parent alive; the IPC channel ends it with the parent.
  child.unref();
  (child.channel as { unref?: () => void } | undefined)?.unref?.();
  let stopping: Promise<void> | undefined;
  return {
    url: `postgres://postgres@${reply.host}:${reply.port}/postgres`,
    maxConnections: options.maxConnections ?? 4,
    pid: child.pid!,
    stop: () =>
      (stopping ??= (async () => {
        if (child.connected) child.send({ kind: 'stop' } satisfies EmbeddedProcessRequest);
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited(child);
        clearTimeout(timer);
      })()),
  };
};
