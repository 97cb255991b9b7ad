import pino from 'pino';
import type { Logger, DestinationStream, Level } from 'pino';
import pretty from 'pino-pretty';
import { errorTextWithCauses } from '../../core/error-text.ts';

export type { Logger };

/** `pretty`: one readable line per event, for a person at a terminal; `json`: pino's JSON lines. */
export type LogFormat = 'pretty' | 'json';

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

const ERROR_LEVEL = 50;

/**
 * Below error level an Error is logged as its one-line text (causes included, no stack): a peer
 * that is down is expected news, and a 3 KB stack every poll hides what matters. (Text rather than
 * an object, which pino's `err` serializer would turn back into an error with a stack field.)
 */
const withoutStacks = (obj: unknown): unknown => {
  if (obj instanceof Error) return { err: errorTextWithCauses(obj) };
  if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return obj;
  if (!Object.values(obj).some((v) => v instanceof Error)) return obj;
  return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, v instanceof Error ? errorTextWithCauses(v) : v]));
};

export interface LoggerOptions {
  readonly level?: Level | 'silent';
  readonly name?: string;
  readonly destination?: DestinationStream;
  /** Default `json`; see logFormatFor. */
  readonly format?: LogFormat;
}

/**
 * The format for a destination: `LOG_FORMAT` (pretty or json) when set, else pretty on a terminal
 * and JSON otherwise (Cloud Foundry, CI, a pipe).
 * @throws Error naming LOG_FORMAT when it holds anything else.
 */
export const logFormatFor = (
  env: Readonly<Record<string, string | undefined>>,
  stream: { isTTY?: boolean },
): LogFormat => {
  const chosen = (env['LOG_FORMAT'] ?? '').trim().toLowerCase();
  if (chosen === 'pretty' || chosen === 'json') return chosen;
  if (chosen !== '') throw new Error(`LOG_FORMAT must be pretty or json, got '${env['LOG_FORMAT']}'`);
  return stream.isTTY ? 'pretty' : 'json';
};

// Fields the pretty line's message already says in words; the JSON format keeps them all.
const SAID_IN_MESSAGE = [
  'pid',
  'hostname',
  'name',
  'component',
  'decision',
  'at',
  'rule',
  'values',
  'instance',
  'membership',
  'logCache',
  'scalingEngine',
  'databases',
  'embeddedDatabase',
  'history',
  'explain',
  'live',
  'metrics',
].join(',');

// pino-pretty writes synchronously here, so a line is out before process.exit, as with pino's own stream.
const prettyStream = (destination: DestinationStream | undefined): DestinationStream => {
  const target = (destination ?? process.stdout) as DestinationStream & { isTTY?: boolean };
  return pretty({
    destination: target === (process.stdout as unknown) ? 1 : target === (process.stderr as unknown) ? 2 : target,
    sync: true,
    colorize: Boolean(target.isTTY),
    translateTime: 'SYS:HH:MM:ss',
    ignore: SAID_IN_MESSAGE,
    singleLine: true,
  });
};

/** The one root logger; pipelines and adapters get children of it through their deps. */
export const createLogger = (options: LoggerOptions = {}): Logger =>
  pino(
    {
      name: options.name ?? 'eventgenerator',
      level: options.level ?? 'info',
      redact: { paths: redact, censor: '[redacted]' },
      hooks: {
        logMethod(args, method, level) {
          if (level < ERROR_LEVEL && args.length > 0) args[0] = withoutStacks(args[0]);
          return method.apply(this, args as Parameters<typeof method>);
        },
      },
      // bigint fields (ns timestamps) are written as digits.
      formatters: { log: (obj) => JSON.parse(JSON.stringify(obj, jsonSafe)) as Record<string, unknown> },
    },
    options.format === 'pretty' ? prettyStream(options.destination) : options.destination,
  );

/** A logger that writes nothing, for tests and benchmarks that do not read logs. */
export const silentLogger = (): Logger => pino({ level: 'silent' });
