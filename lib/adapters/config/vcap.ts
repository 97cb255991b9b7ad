import { ConfigError } from './config-error.ts';
import { errorText } from '../../core/error-text.ts';

/** One bound service from VCAP_SERVICES (only the fields we read). */
export interface VcapService {
  readonly name?: string;
  readonly tags: readonly string[];
  readonly credentials: Readonly<Record<string, unknown>>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** CF mode is on when VCAP_APPLICATION is set and not blank. */
export const isCloudFoundry = (env: Env): boolean => (env['VCAP_APPLICATION'] ?? '').trim() !== '';

const parseJson = (name: string, text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${name} is not valid JSON: ${errorText(err)}`, {
      code: 'CONFIG_VCAP',
      key: name,
      cause: err,
    });
  }
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Every bound service, in the order VCAP_SERVICES lists them (label by label). A blank value means none. */
export const parseVcapServices = (env: Env): VcapService[] => {
  const text = env['VCAP_SERVICES'] ?? '';
  if (text.trim() === '') return [];
  const parsed = parseJson('VCAP_SERVICES', text);
  if (!isObject(parsed))
    throw new ConfigError('VCAP_SERVICES must be a JSON object of service lists', {
      code: 'CONFIG_VCAP',
      key: 'VCAP_SERVICES',
    });
  return Object.values(parsed)
    .flatMap((list) => (Array.isArray(list) ? list : []))
    .filter(isObject)
    .map((service) => ({
      ...(typeof service['name'] === 'string' ? { name: service['name'] } : {}),
      tags: Array.isArray(service['tags']) ? service['tags'].filter((t): t is string => typeof t === 'string') : [],
      credentials: isObject(service['credentials']) ? service['credentials'] : {},
    }));
};

/** The first service carrying `tag`, compared case-insensitively. */
export const findServiceByTag = (services: readonly VcapService[], tag: string): VcapService | undefined =>
  services.find((service) => service.tags.some((t) => t.toLowerCase() === tag.toLowerCase()));

/**
 * The app's own org and space, which become the XFCC guids. Absent fields give "". Unlike the anchor,
 * an unparseable VCAP_APPLICATION is an error: silently empty guids would lock every caller out.
 */
export const parseVcapApplication = (env: Env): { readonly orgGuid: string; readonly spaceGuid: string } => {
  const parsed = parseJson('VCAP_APPLICATION', env['VCAP_APPLICATION'] ?? '');
  if (!isObject(parsed))
    throw new ConfigError('VCAP_APPLICATION must be a JSON object', { code: 'CONFIG_VCAP', key: 'VCAP_APPLICATION' });
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return { orgGuid: text(parsed['organization_id']), spaceGuid: text(parsed['space_id']) };
};
