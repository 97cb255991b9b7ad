import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from './config-error.ts';
import { findServiceByTag } from './vcap.ts';
import type { VcapService } from './vcap.ts';
import { errorText } from '../../core/error-text.ts';

/** TLS credentials of a PostgreSQL service: written to files whose paths go into the URL query. */
const TLS_CREDENTIALS = [
  { credential: 'client_cert', file: 'client_cert.sslcert', param: 'sslcert' },
  { credential: 'client_key', file: 'client_key.sslkey', param: 'sslkey' },
  { credential: 'server_ca', file: 'server_ca.sslrootcert', param: 'sslrootcert' },
] as const;

// Go's url.QueryEscape: unreserved bytes stay, space becomes '+', everything else is %XX.
const queryEscape = (text: string): string =>
  Array.from(Buffer.from(text, 'utf8'), (byte) => {
    const char = String.fromCharCode(byte);
    if (/[A-Za-z0-9\-_.~]/.test(char)) return char;
    return byte === 0x20 ? '+' : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }).join('');

const queryUnescape = (text: string): string | undefined => {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
};

/** Sets query parameters and re-encodes the query with keys sorted (Go's url.Values.Encode). */
export const withQueryParams = (uri: string, params: Readonly<Record<string, string>>): string => {
  const hashAt = uri.indexOf('#');
  const fragment = hashAt >= 0 ? uri.slice(hashAt) : '';
  const withoutFragment = hashAt >= 0 ? uri.slice(0, hashAt) : uri;
  const queryAt = withoutFragment.indexOf('?');
  const base = queryAt >= 0 ? withoutFragment.slice(0, queryAt) : withoutFragment;
  const values = new Map<string, string[]>();
  for (const pair of (queryAt >= 0 ? withoutFragment.slice(queryAt + 1) : '').split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = queryUnescape(eq >= 0 ? pair.slice(0, eq) : pair);
    const value = queryUnescape(eq >= 0 ? pair.slice(eq + 1) : '');
    if (key === undefined || value === undefined) continue;
    values.set(key, [...(values.get(key) ?? []), value]);
  }
  for (const [key, value] of Object.entries(params)) values.set(key, [value]);
  const query = [...values.keys()]
    .sort()
    .flatMap((key) => (values.get(key) ?? []).map((v) => `${queryEscape(key)}=${queryEscape(v)}`))
    .join('&');
  return `${base}${query ? `?${query}` : ''}${fragment}`;
};

const writePrivateFile = (dir: string, name: string, content: string): string => {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  chmodSync(path, 0o600);
  return path;
};

/**
 * The URL of database `dbName` from the service tagged with that name: "" when no service has the tag
 * (which overrides any configured URL), else its `uri`, with PostgreSQL TLS credentials written under
 * `{tmpRoot}/{dbName}/` and referenced from the query. MySQL-tagged services are used unchanged.
 * Empty credential strings are skipped rather than written as empty files.
 */
export const resolveDatabaseUrl = (services: readonly VcapService[], dbName: string, tmpRoot: string): string => {
  const service = findServiceByTag(services, dbName);
  if (!service) return '';
  const uri = service.credentials['uri'];
  if (typeof uri !== 'string') {
    throw new ConfigError(`failed to get required credential from service: uri (service tagged ${dbName})`, {
      code: 'CONFIG_VCAP',
      key: `db.${dbName}.url`,
    });
  }
  if (service.tags.some((tag) => tag.toLowerCase() === 'mysql')) return uri;
  const params: Record<string, string> = {};
  for (const { credential, file, param } of TLS_CREDENTIALS) {
    const value = service.credentials[credential];
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') {
      throw new ConfigError(`credential ${credential} of the service tagged ${dbName} must be a string`, {
        code: 'CONFIG_VCAP',
        key: `db.${dbName}.url`,
      });
    }
    try {
      params[param] = writePrivateFile(join(tmpRoot, dbName), file, value);
    } catch (err) {
      throw new ConfigError(`failed to write ${credential} for ${dbName}: ${errorText(err)}`, {
        code: 'CONFIG_VCAP',
        key: `db.${dbName}.url`,
        cause: err,
      });
    }
  }
  return Object.keys(params).length === 0 ? uri : withQueryParams(uri, params);
};
