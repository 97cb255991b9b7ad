import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface LogLine {
  readonly level: number;
  readonly msg: string;
  readonly [key: string]: unknown;
}

export interface ServiceProcess {
  readonly child: ChildProcess;
  /** Every JSON log line so far; non-JSON output is kept in `stdout`. */
  readonly logs: LogLine[];
  stdout(): string;
  ports(): { cf: number; health: number };
  waitForLog(predicate: (line: LogLine) => boolean, timeoutMs: number, what: string): Promise<LogLine>;
  /** Waits for the line that says the service is up (it names the ports), 30 s at most. */
  started(): Promise<LogLine>;
  /** Sends the signal and resolves with the exit code, killing the process if it outlives the bound. */
  stop(signal?: NodeJS.Signals, boundMs?: number): Promise<number | null>;
  exited(): Promise<number | null>;
}

const root = join(import.meta.dirname, '..', '..');
const isStartedLine = (line: LogLine) => line.msg.startsWith('eventgenerator started:');
const START_BOUND_MS = 30_000;

/** A config file for the service under test, written to a fresh temp dir. */
export const writeConfig = (yaml: string): string => {
  const dir = mkdtempSync(join(tmpdir(), 'eg-config-'));
  const path = join(dir, 'config.yml');
  writeFileSync(path, yaml);
  return path;
};

/** A database URL that puts the child process in the spec's private schema (postgres.js forwards search_path). */
export const urlWithSchema = (url: string, schema: string | undefined): string => {
  if (!schema) return url;
  const u = new URL(url);
  u.searchParams.set('search_path', schema);
  return u.toString();
};

/** Starts `node scripts/start.ts` as its own process, the way `cf push` runs it. */
export const spawnService = (args: readonly string[], env: Record<string, string> = {}): ServiceProcess => {
  const child = spawn(process.execPath, [join(root, 'scripts', 'start.ts'), ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', APP_AUTOSCALER_TEST_RUN: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogLine[] = [];
  let raw = '';
  let partial = '';
  const waiters: { predicate: (l: LogLine) => boolean; resolve: (l: LogLine) => void }[] = [];
  const onData = (chunk: Buffer) => {
    raw += chunk.toString();
    partial += chunk.toString();
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) {
      if (!text.startsWith('{')) continue;
      try {
        const line = JSON.parse(text) as LogLine;
        logs.push(line);
        for (const w of [...waiters]) {
          if (w.predicate(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      } catch {
        // a partial or foreign line; kept in raw
      }
    }
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', (chunk: Buffer) => (raw += chunk.toString()));
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  const service: ServiceProcess = {
    child,
    logs,
    stdout: () => raw,
    ports() {
      const started = logs.find(isStartedLine) as { ports?: { cf: number; health: number } } | undefined;
      if (!started?.ports) throw new Error('the service has not started');
      return started.ports;
    },
    waitForLog(predicate, timeoutMs, what) {
      const seen = logs.find(predicate);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`timed out after ${timeoutMs}ms waiting for ${what}; output:\n${raw.slice(-3000)}`)),
          timeoutMs,
        );
        waiters.push({
          predicate,
          resolve: (l) => {
            clearTimeout(timer);
            resolve(l);
          },
        });
        void exit.then((code) => {
          clearTimeout(timer);
          reject(new Error(`the service exited (${code}) while waiting for ${what}; output:\n${raw.slice(-3000)}`));
        });
      });
    },
    async stop(signal = 'SIGTERM', boundMs = 15_000) {
      if (child.exitCode !== null) return child.exitCode;
      child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), boundMs);
      const code = await exit;
      clearTimeout(timer);
      return code;
    },
    started: () => service.waitForLog(isStartedLine, START_BOUND_MS, 'the service to start'),
    exited: () => exit,
  };
  return service;
};
