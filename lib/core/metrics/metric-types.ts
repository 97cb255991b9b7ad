/**
 * The metric types the service knows by name, their units and where they are read
 * (docs/anchor-compatibility.md#metric-types).
 */

export const METRIC_UNITS = {
  memoryused: 'MB',
  memoryutil: '%',
  cpu: '%',
  cpuutil: '%',
  disk: 'MB',
  diskutil: '%',
  throughput: 'rps',
  responsetime: 'ms',
} as const;

export type KnownMetricType = keyof typeof METRIC_UNITS;
export type PromQlMetricType = 'throughput' | 'responsetime';

/**
 * Gauge names that make an envelope a container-metric envelope
 * (docs/anchor-compatibility.md#envelope-samples).
 */
export const CONTAINER_GAUGE_NAMES: ReadonlySet<string> = new Set([
  'memory_quota',
  'memory',
  'cpu',
  'cpu_entitlement',
  'disk',
  'disk_quota',
]);

/**
 * Container metric types and the gauges each one reads, in name-filter order
 * (docs/anchor-compatibility.md#metric-types).
 */
const CONTAINER_GAUGES_BY_TYPE: Readonly<Record<string, readonly string[]>> = {
  memoryutil: ['memory', 'memory_quota'],
  memoryused: ['memory'],
  cpu: ['cpu'],
  cpuutil: ['cpu_entitlement'],
  disk: ['disk'],
  diskutil: ['disk', 'disk_quota'],
};

const isKnownMetricType = (type: string): type is KnownMetricType => Object.hasOwn(METRIC_UNITS, type);

/** The unit of a built-in type; custom metrics carry their own unit in the gauge, so "" here. */
export const unitFor = (type: string): string => (isKnownMetricType(type) ? METRIC_UNITS[type] : '');

export const isPromQlMetric = (type: string): type is PromQlMetricType =>
  type === 'throughput' || type === 'responsetime';

export const isContainerMetric = (type: string): boolean => Object.hasOwn(CONTAINER_GAUGES_BY_TYPE, type);

/**
 * The log-cache `name_filter` of one REST-read type (docs/anchor-compatibility.md#metric-types). A
 * custom metric's name is sent verbatim and log-cache reads it as an unanchored RE2 regex; the
 * exact-name post-filter (see envelope-samples in the same doc) drops whatever else it pulls in.
 */
export const nameFilterFor = (type: string): string => (CONTAINER_GAUGES_BY_TYPE[type] ?? [type]).join('|');

const REGEX_SYNTAX = /[\\^$.|?*+()[\]{}]/g;

/**
 * One `name_filter` serving every REST-read type of an app in a single read: the alternation of
 * every type's gauge names, deduplicated, in first-seen order (memoryused + cpu + diskutil →
 * `memory|cpu|disk|disk_quota`). `undefined` when no type needs a REST read.
 *
 * Custom names made of word characters (the schema's `[a-zA-Z0-9_]+`, and also `-`) go in verbatim,
 * so they still match as the verbatim unanchored regex would. A name with regex syntax is escaped
 * to a literal: inside an alternation its own `|`, anchors or an unbalanced bracket would change or
 * break the filter for every other type of the app, and the post-filter keeps exact names only, so
 * the literal pulls in every gauge that can survive it.
 */
export const combinedNameFilter = (types: readonly string[]): string | undefined => {
  const names = new Set<string>();
  for (const type of types) {
    // An empty alternative would match every gauge of the app.
    if (isPromQlMetric(type) || type === '') continue;
    const gauges = CONTAINER_GAUGES_BY_TYPE[type] ?? [type.replace(REGEX_SYNTAX, '\\$&')];
    for (const gauge of gauges) names.add(gauge);
  }
  return names.size === 0 ? undefined : [...names].join('|');
};

/**
 * The gauge names an app's REST-read types read, exactly (no regex): what a stream of every gauge
 * of the app is cut down to, as the combined name filter cuts a read down. Empty when no type needs
 * gauges.
 */
export const gaugeNamesOf = (types: readonly string[]): ReadonlySet<string> => {
  const names = new Set<string>();
  for (const type of types) {
    if (isPromQlMetric(type) || type === '') continue;
    for (const gauge of CONTAINER_GAUGES_BY_TYPE[type] ?? [type]) names.add(gauge);
  }
  return names;
};
