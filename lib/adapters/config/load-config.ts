import { readFileSync } from 'node:fs';
import { ConfigError } from './config-error.ts';
import { overlay } from './overlay.ts';
import { rawFromJs, rawFromYaml } from './raw-tree.ts';
import { configSchema, deepFreeze, mutableDefaults } from './schema.ts';
import type { Config } from './schema.ts';
import { findServiceByTag, isCloudFoundry, parseVcapApplication, parseVcapServices } from './vcap.ts';
import type { VcapService } from './vcap.ts';
import { resolveDatabaseUrl } from './database-services.ts';
import { errorText } from '../../core/error-text.ts';

export interface LoadConfigOptions {
  /** The -c file (YAML or JSON); absent or "" means none. */
  readonly path?: string;
  /** The process environment, passed in so that nothing else reads process.env. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where database TLS credentials from VCAP_SERVICES are written (default /tmp). */
  readonly tmpRoot?: string;
}

type Working = Record<string, Record<string, unknown>>;
type Env = LoadConfigOptions['env'];
/** Key → where its value came from; keys absent from it hold their default. */
type Sources = Map<string, string>;

/** A loaded configuration and where each of its values came from. */
export interface LoadedConfig {
  readonly config: Config;
  /** `config file '<path>'`, `service '<name>' (tag …)`, `environment variable PORT`, or `the default`. */
  readonly sourceOf: (key: string) => string;
}

/** Set on Cloud Foundry when neither the file nor the service chose a membership mode. */
const UNSET = '';

const CONFIG_SERVICE = 'eventgenerator-config';
const DATABASES = ['policy_db', 'appmetrics_db'] as const;

const applyFile = (working: Working, path: string, sources: Sources): void => {
  const source = `config file '${path}'`;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`failed to open config file '${path}': ${errorText(err)}`, {
      code: 'CONFIG_FILE',
      source,
      cause: err,
    });
  }
  const fail = (detail: string, key: string | undefined) =>
    new ConfigError(`failed to read config file: ${detail}`, { code: 'CONFIG_FILE', source, key: key || undefined });
  let raw;
  try {
    raw = rawFromYaml(text);
  } catch (err) {
    throw fail(errorText(err), undefined);
  }
  if (raw === undefined) throw fail(`'${path}' holds no configuration document`, undefined);
  overlay(configSchema, working, raw, { strict: true, fail, onSet: (key) => sources.set(key, source) });
};

/** How an error or the start-up log names a bound service. */
const serviceSource = (service: VcapService, tag: string): string =>
  `service '${service.name ?? '(unnamed)'}' (tag ${tag})`;

const applyConfigService = (working: Working, services: readonly VcapService[], sources: Sources): void => {
  const service = findServiceByTag(services, CONFIG_SERVICE);
  const notFound = (reason: string) =>
    new ConfigError(`vcap_services config not found: ${reason}: ${CONFIG_SERVICE}`, {
      code: 'CONFIG_VCAP',
      key: 'VCAP_SERVICES',
      source: service ? serviceSource(service, CONFIG_SERVICE) : 'VCAP_SERVICES',
    });
  if (!service) throw notFound('failed to get service by name');
  if (!Object.hasOwn(service.credentials, CONFIG_SERVICE))
    throw notFound('failed to get required credential from service');
  const value = service.credentials[CONFIG_SERVICE];
  const source = `the ${CONFIG_SERVICE} credential of ${serviceSource(service, CONFIG_SERVICE)}`;
  const fail = (detail: string, key: string | undefined) =>
    new ConfigError(`failed to read the ${CONFIG_SERVICE} service credential: ${detail}`, {
      code: 'CONFIG_VCAP',
      source,
      key: key || undefined,
    });
  let raw;
  try {
    // A string credential holds YAML (or JSON) text; an object is decoded as it stands.
    raw = typeof value === 'string' ? rawFromYaml(value) : rawFromJs(value);
  } catch (err) {
    throw fail(errorText(err), undefined);
  }
  if (raw !== undefined)
    overlay(configSchema, working, raw, { strict: false, fail, onSet: (key) => sources.set(key, source) });
};

const envInteger = (env: Env, name: string, max: number): number | undefined => {
  const text = (env[name] ?? '').trim();
  if (text === '') return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > max) {
    throw new ConfigError(`${name} must be an integer between 0 and ${max}, got '${env[name]}'`, {
      code: 'CONFIG_ENV',
      key: name,
      source: `environment variable ${name}`,
    });
  }
  return value;
};

/**
 * The Cloud Foundry steps 3-8 of the precedence order (docs/anchor-compatibility.md#cloud-foundry).
 */
const applyCloudFoundry = (working: Working, env: Env, tmpRoot: string, sources: Sources): void => {
  const port = envInteger(env, 'PORT', 65535);
  if (port !== undefined) {
    working['cf_server']!['port'] = port;
    sources.set('cf_server.port', 'environment variable PORT');
  }
  working['server']!['port'] = 0;
  const services = parseVcapServices(env);
  applyConfigService(working, services, sources);
  // Instances come and go with `cf scale` and rolling deploys: leases follow them, pool.* cannot.
  if (working['membership']!['mode'] === UNSET) {
    working['membership']!['mode'] = 'lease';
    sources.set('membership.mode', 'the Cloud Foundry default');
  }
  const db = working['db'] as Record<string, Record<string, unknown>>;
  for (const name of DATABASES) {
    const service = findServiceByTag(services, name);
    const source = service ? serviceSource(service, name) : `VCAP_SERVICES (no service tagged ${name})`;
    try {
      db[name]!['url'] = resolveDatabaseUrl(services, name, tmpRoot);
    } catch (err) {
      const e = err as ConfigError;
      throw new ConfigError(e.message, { code: e.code, key: e.key ?? `db.${name}.url`, source, cause: err });
    }
    sources.set(`db.${name}.url`, source);
  }
  const { orgGuid, spaceGuid } = parseVcapApplication(env);
  working['cf_server']!['xfcc'] = { valid_org_guid: orgGuid, valid_space_guid: spaceGuid };
  // A malformed index is an error rather than 0: index 0 would silently duplicate shard 0.
  working['pool']!['instance_index'] = envInteger(env, 'CF_INSTANCE_INDEX', Number.MAX_SAFE_INTEGER) ?? 0;
  sources.set('pool.instance_index', 'environment variable CF_INSTANCE_INDEX');
  working['scalingEngine']!['tls'] = {
    cert_file: env['CF_INSTANCE_CERT'] ?? '',
    key_file: env['CF_INSTANCE_KEY'] ?? '',
    ca_file: env['CF_INSTANCE_CA_CERT'] ?? '',
  };
};

/** Our own plain-environment overrides, applied last in every mode. */
const applyPlainEnv = (working: Working, env: Env, sources: Sources): void => {
  const databaseUrl = env['DATABASE_URL'];
  if (databaseUrl !== undefined && databaseUrl !== '') {
    const db = working['db'] as Record<string, Record<string, unknown>>;
    for (const name of DATABASES) {
      db[name]!['url'] = databaseUrl;
      sources.set(`db.${name}.url`, 'environment variable DATABASE_URL');
    }
  }
  const level = env['LOG_LEVEL'];
  if (level !== undefined && level !== '') {
    working['logging']!['level'] = level;
    sources.set('logging.level', 'environment variable LOG_LEVEL');
  }
};

/**
 * Builds the effective configuration: code defaults, then the -c file (strict), then on Cloud Foundry
 * PORT, the eventgenerator-config service (lenient), database URLs from service tags, XFCC guids,
 * CF_INSTANCE_INDEX and CF_INSTANCE_* certificates, then DATABASE_URL and LOG_LEVEL, and finally the
 * log level lowercased. On Cloud Foundry `membership.mode` defaults to `lease`. It does not
 * validate: call validateConfig on the result.
 * @throws ConfigError naming the key or variable at fault, and its source.
 */
export const loadConfigWithSources = (options: LoadConfigOptions): LoadedConfig => {
  const working = mutableDefaults() as Working;
  const sources: Sources = new Map();
  const cf = isCloudFoundry(options.env);
  // On CF the mode's default is decided once the file and the service have had their say.
  if (cf) working['membership']!['mode'] = UNSET;
  if (options.path) applyFile(working, options.path, sources);
  if (cf) applyCloudFoundry(working, options.env, options.tmpRoot ?? '/tmp', sources);
  applyPlainEnv(working, options.env, sources);
  working['logging']!['level'] = String(working['logging']!['level']).toLowerCase();
  const config = deepFreeze(working) as unknown as Config;
  return { config, sourceOf: (key) => sources.get(key) ?? 'the default' };
};

/** loadConfigWithSources without the sources. */
export const loadConfig = (options: LoadConfigOptions): Config => loadConfigWithSources(options).config;
