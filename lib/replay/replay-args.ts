import { existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { parseGoDuration } from '../adapters/config/go-duration.ts';
import { DEFAULT_REPLAY_SETTINGS } from '../../pipelines/graph/replay-settings.ts';
import type { ReplaySettings } from '../../pipelines/graph/replay-settings.ts';
import { errorText } from '../core/error-text.ts';
import { parseLabArgs, LAB_OPTIONS } from './lab-args.ts';
import type { LabArgs } from './lab-args.ts';

export const REPLAY_USAGE = `Usage: node scripts/replay.ts <recording.ndjson[.gz]> [options]

  --policy <file>              stored policy JSON (one for every app, or {"<app-id>": policy, ...});
                               default: policy.json next to the recording
  --speed <x>                  paced replay at x times real time (default: as fast as possible)
  --report <file.html>         HTML report (default: reports/<name>.html); --no-report to skip
  --json                       print the decisions and scaling events as JSON instead of the table
  --check                      only validate the recording: list bad lines and exit
  --strict                     stop at the first bad line instead of skipping it
  --database embedded|<url>    also write every app metric to a database: the embedded one, or a
                               PostgreSQL URL (rows go to a schema of the replay's own, dropped
                               afterwards). Default: none; the replay keeps app metrics in memory
  --keep-rows                  keep that schema and print its name
  --no-cache                   read and aggregate the recording afresh, without reading or writing
                               its cache. The cache: .cache/recordings/ under the current directory,
                               one file per recording content, stat window, interval and metric
                               types; the 32 most recently used within 512 MiB are kept
  --stat-window <secs>         defaultStatWindowSecs (120)
  --breach-duration <secs>     defaultBreachDurationSecs (120)
  --interval <duration>        aggregator_execute_interval (40s)
  --save-interval <duration>   aggregator save_interval (5s)
  --evaluation-interval <d>    also evaluate every rule on this period (default: per metric only)
  --cache-size <n>             metric_cache_size_per_app (300)
  --cooldown <secs>            the simulated scaling engine's default cooldown (300)
  --initial-instances <n>      instances before the first scaling (default: the policy minimum)
  --stats                      print timing, CPU and memory figures as one JSON line on stderr
  --log-level <level>          warn (default), info, debug, error, silent
  --load-model <model>         shared (default): cpu, cpuutil and throughput are the recorded total
                               spread over the simulated instances; recorded: every value as recorded

Policy lab (compares candidate policies in one pass):
  --vary <path>=<v1>,<v2>,...  try these values in a policy field, e.g. scaling_rules[0].threshold=60,70,80
                               (repeatable; the candidates are the product, applied to --policy)
  --pressure '<metric><op><n>' the yardstick of time under pressure, e.g. 'cpu>70' (repeatable;
                               default: the base policy's scale-out rules)
  --max-pressure <duration>    time under pressure the recommendation may have (default: the base policy's)
  --flap-window <duration>     a scaling event reversed within this counts as a flap
                               (default: twice the base policy's longest cooldown)
  -h, --help                   this text
`;

/** Where parsed recordings are kept, under the working directory (ignored by git). */
export const DEFAULT_CACHE_DIR = join('.cache', 'recordings');

export interface ReplayArgs {
  readonly recording: string;
  readonly policy: string;
  readonly name: string;
  readonly report: string | undefined;
  readonly json: boolean;
  readonly check: boolean;
  readonly strict: boolean;
  readonly speed: number | undefined;
  /** `embedded` or a PostgreSQL URL; no database when undefined. */
  readonly database: string | undefined;
  readonly cache: boolean;
  readonly stats: boolean;
  readonly keepRows: boolean;
  readonly initialInstances: number | undefined;
  readonly logLevel: string;
  readonly settings: ReplaySettings;
  readonly lab: LabArgs;
}

export type ParsedReplayArgs =
  | { readonly ok: true; readonly args: ReplayArgs }
  | { readonly ok: false; readonly error: string };

const positiveInt = (flag: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  if (!/^\d+$/.test(text) || Number(text) < 1)
    throw new Error(`--${flag} must be a positive whole number, got ${JSON.stringify(text)}`);
  return Number(text);
};

const duration = (flag: string, text: string | undefined, fallback: number): number => {
  if (text === undefined) return fallback;
  let ms: number;
  try {
    ms = parseGoDuration(text);
  } catch (err) {
    throw new Error(`--${flag}: ${errorText(err)} (use a duration such as 40s or 1m)`);
  }
  if (!(ms >= 1)) throw new Error(`--${flag} must be at least 1ms, got ${JSON.stringify(text)}`);
  return ms;
};

/** `recordings/spike/recording.ndjson.gz` is named `spike`; other files by their base name. */
export const recordingName = (path: string): string => {
  const base = basename(path)
    .replace(/\.gz$/, '')
    .replace(/\.(ndjson|jsonl|json)$/, '');
  return base === 'recording' ? basename(dirname(path)) || base : base;
};

export const parseReplayArgs = (argv: readonly string[]): ParsedReplayArgs => {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        policy: { type: 'string' },
        speed: { type: 'string' },
        report: { type: 'string' },
        'no-report': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        check: { type: 'boolean', default: false },
        strict: { type: 'boolean', default: false },
        database: { type: 'string' },
        // The earlier name of --database <url>.
        'database-url': { type: 'string' },
        'no-cache': { type: 'boolean', default: false },
        stats: { type: 'boolean', default: false },
        'keep-rows': { type: 'boolean', default: false },
        'stat-window': { type: 'string' },
        'breach-duration': { type: 'string' },
        interval: { type: 'string' },
        'save-interval': { type: 'string' },
        'evaluation-interval': { type: 'string' },
        'cache-size': { type: 'string' },
        cooldown: { type: 'string' },
        'initial-instances': { type: 'string' },
        'log-level': { type: 'string', default: 'warn' },
        ...LAB_OPTIONS,
      },
    });
    if (positionals.length !== 1)
      return {
        ok: false,
        error:
          positionals.length === 0
            ? 'a recording file is required'
            : `one recording at a time, got ${positionals.length}`,
      };
    const recording = positionals[0]!;
    const policy = values.policy ?? join(dirname(recording), 'policy.json');
    if (!values.check && !existsSync(policy))
      return {
        ok: false,
        error: values.policy
          ? `policy file ${policy} does not exist`
          : `no --policy given and no ${policy} next to the recording`,
      };
    let speed: number | undefined;
    if (values.speed !== undefined) {
      speed = Number(values.speed);
      if (!(speed > 0) || !Number.isFinite(speed))
        return { ok: false, error: `--speed must be a number above 0, got ${JSON.stringify(values.speed)}` };
    }
    const database = values.database ?? values['database-url'];
    if (database !== undefined && database !== 'embedded' && !/^postgres(ql)?:\/\//.test(database))
      return {
        ok: false,
        error: `--database must be embedded or a postgres:// URL, got ${JSON.stringify(database)}`,
      };
    const d = DEFAULT_REPLAY_SETTINGS;
    const name = recordingName(recording);
    const evaluation = values['evaluation-interval'];
    return {
      ok: true,
      args: {
        recording,
        policy,
        name,
        speed,
        report: values['no-report'] ? undefined : (values.report ?? join('reports', `${name}.html`)),
        json: values.json,
        check: values.check,
        strict: values.strict,
        database,
        cache: !values['no-cache'],
        stats: values.stats,
        keepRows: values['keep-rows'],
        initialInstances:
          values['initial-instances'] === undefined
            ? undefined
            : positiveInt('initial-instances', values['initial-instances'], 1),
        logLevel: values['log-level'],
        lab: parseLabArgs(values),
        settings: {
          ...d,
          statWindowSecs: positiveInt('stat-window', values['stat-window'], d.statWindowSecs),
          defaultBreachDurationSecs: positiveInt(
            'breach-duration',
            values['breach-duration'],
            d.defaultBreachDurationSecs,
          ),
          aggregatorIntervalMs: duration('interval', values.interval, d.aggregatorIntervalMs),
          saveIntervalMs: duration('save-interval', values['save-interval'], d.saveIntervalMs),
          ...(evaluation === undefined ? {} : { evaluationIntervalMs: duration('evaluation-interval', evaluation, 0) }),
          metricCacheSizePerApp: positiveInt('cache-size', values['cache-size'], d.metricCacheSizePerApp),
          defaultCoolDownSecs: positiveInt('cooldown', values.cooldown, d.defaultCoolDownSecs),
        },
      },
    };
  } catch (err) {
    return { ok: false, error: errorText(err) };
  }
};
