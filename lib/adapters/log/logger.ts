import pino from 'pino';
import type { Logger, DestinationStream, Level } from 'pino';

export type { Logger };

/** Secrets never reach a log line, wherever they sit in a logged object. */
const redact = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'access_token',
  '*.access_token',
  'password',
  '*.password',
  '*.*.password',
  'client_secret',
  '*.client_secret',
  '*.*.client_secret',
  'client_key',
  '*.client_key',
];

// bigint (ns timestamps) as digits; errors keep their message, code and stack, which plain
// JSON.stringify would drop (they are not enumerable).
const jsonSafe = (_key: string, v: unknown): unknown => {
  if (typeof v === 'bigint') return v.toString();
  if (v instanceof Error) {
    const { code, cause } = v as Error & { code?: unknown; cause?: unknown };
    return {
      type: v.name,
      message: v.message,
      code,
      stack: v.stack,
      cause,
    };
  }
  return v;
};

export interface LoggerOptions {
  readonly level?: Level | 'silent';
  readonly name?: string;
  readonly destination?: DestinationStream;
}

/** The one root logger; pipelines and adapters get children of it through their deps. */
export const createLogger = (options: LoggerOptions = {}): Logger =>
  pino(
    {
      name: options.name ?? 'eventgenerator',
      level: options.level ?? 'info',
      redact: { paths: redact, censor: '[redacted]' },
      // bigint fields (ns timestamps) are written as digits.
      formatters: { log: (obj) => JSON.parse(JSON.stringify(obj, jsonSafe)) as Record<string, unknown> },
    },
    options.destination,
  );

/** A logger that writes nothing, for tests and benchmarks that do not read logs. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
