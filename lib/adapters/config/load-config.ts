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

const CONFIG_SERVICE = 'eventgenerator-config';
const DATABASES = ['policy_db', 'appmetrics_db'] as const;

const applyFile = (working: Working, path: string): void => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`failed to open config file '${path}': ${errorText(err)}`, {
      code: 'CONFIG_FILE',
      cause: err,
    });
  }
  const fail = (detail: string, key: string | undefined) =>
    new ConfigError(`failed to read config file: ${detail}`, { code: 'CONFIG_FILE', key: key || undefined });
  let raw;
  try {
    raw = rawFromYaml(text);
  } catch (err) {
    throw fail(errorText(err), undefined);
  }
  if (raw === undefined) throw fail(`'${path}' holds no configuration document`, undefined);
  overlay(configSchema, working, raw, { strict: true, fail });
};

const applyConfigService = (working: Working, services: readonly VcapService[]): void => {
  const service = findServiceByTag(services, CONFIG_SERVICE);
  const notFound = (reason: string) =>
    new ConfigError(`vcap_services config not found: ${reason}: ${CONFIG_SERVICE}`, {
      code: 'CONFIG_VCAP',
      key: 'VCAP_SERVICES',
    });
  if (!service) throw notFound('failed to get service by name');
  if (!Object.hasOwn(service.credentials, CONFIG_SERVICE))
    throw notFound('failed to get required credential from service');
  const value = service.credentials[CONFIG_SERVICE];
  const fail = (detail: string, key: string | undefined) =>
    new ConfigError(`failed to read the ${CONFIG_SERVICE} service credential: ${detail}`, {
      code: 'CONFIG_VCAP',
      key: key || undefined,
    });
  let raw;
  try {
    // A string credential holds YAML (or JSON) text; an object is decoded as it stands.
    raw = typeof value === 'string' ? rawFromYaml(value) : rawFromJs(value);
  } catch (err) {
    throw fail(errorText(err), undefined);
  }
  if (raw !== undefined) overlay(configSchema, working, raw, { strict: false, fail });
};

const envInteger = (env: Env, name: string, max: number): number | undefined => {
  const text = (env[name] ?? '').trim();
  if (text === '') return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > max) {
    throw new ConfigError(`${name} must be an integer between 0 and ${max}, got '${env[name]}'`, {
      code: 'CONFIG_ENV',
      key: name,
    });
  }
  return value;
};

/**
 * The Cloud Foundry steps 3-8 of the precedence order (docs/anchor-compatibility.md#cloud-foundry).
 */
const applyCloudFoundry = (working: Working, env: Env, tmpRoot: string): void => {
  const port = envInteger(env, 'PORT', 65535);
  if (port !== undefined) working['cf_server']!['port'] = port;
  working['server']!['port'] = 0;
  const services = parseVcapServices(env);
  applyConfigService(working, services);
  const db = working['db'] as Record<string, Record<string, unknown>>;
  for (const name of DATABASES) db[name]!['url'] = resolveDatabaseUrl(services, name, tmpRoot);
  const { orgGuid, spaceGuid } = parseVcapApplication(env);
  working['cf_server']!['xfcc'] = { valid_org_guid: orgGuid, valid_space_guid: spaceGuid };
  // A malformed index is an error rather than 0: index 0 would silently duplicate shard 0.
  working['pool']!['instance_index'] = envInteger(env, 'CF_INSTANCE_INDEX', Number.MAX_SAFE_INTEGER) ?? 0;
  working['scalingEngine']!['tls'] = {
    cert_file: env['CF_INSTANCE_CERT'] ?? '',
    key_file: env['CF_INSTANCE_KEY'] ?? '',
    ca_file: env['CF_INSTANCE_CA_CERT'] ?? '',
  };
};

/** Our own plain-environment overrides, applied last in every mode. */
const applyPlainEnv = (working: Working, env: Env): void => {
  const databaseUrl = env['DATABASE_URL'];
  if (databaseUrl !== undefined && databaseUrl !== '') {
    const db = working['db'] as Record<string, Record<string, unknown>>;
    for (const name of DATABASES) db[name]!['url'] = databaseUrl;
  }
  const level = env['LOG_LEVEL'];
  if (level !== undefined && level !== '') working['logging']!['level'] = level;
};

/**
 * Builds the effective configuration: code defaults, then the -c file (strict), then on Cloud Foundry
 * PORT, the eventgenerator-config service (lenient), database URLs from service tags, XFCC guids,
 * CF_INSTANCE_INDEX and CF_INSTANCE_* certificates, then DATABASE_URL and LOG_LEVEL, and finally the
 * log level lowercased. It does not validate: call validateConfig on the result.
 * @throws ConfigError naming the key or variable at fault.
 */
export const loadConfig = (options: LoadConfigOptions): Config => {
  const working = mutableDefaults() as Working;
  if (options.path) applyFile(working, options.path);
  if (isCloudFoundry(options.env)) applyCloudFoundry(working, options.env, options.tmpRoot ?? '/tmp');
  applyPlainEnv(working, options.env);
  working['logging']!['level'] = String(working['logging']!['level']).toLowerCase();
  return deepFreeze(working) as unknown as Config;
};
